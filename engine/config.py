"""The deployment config (``chatflow.yaml``): merchants > sites, skill groups and agents.

Every id is scoped to its merchant: two merchants may both have a group ``presales``.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, field_validator, model_validator

from chatflow.engine.node import Model

AgentStatus = Literal["free", "busy", "rest", "arrange", "not_ready", "offline"]
"""Agent states (seed TCCC): free to take sessions, busy, resting (with a reason), arranging
(after-call work), not ready, offline."""

Role = Literal["agent", "supervisor", "admin"]
"""``agent`` sees own conversations; ``supervisor`` those of their groups; ``admin`` the merchant's."""

_ID = r"^[A-Za-z0-9_][A-Za-z0-9_-]*$"


class Site(Model):
    """A site (站点): one web widget or channel, running one flow."""

    key: str = Field(pattern=_ID)
    """Public key the widget and the visitor API use (``acme-web``); unique in the deployment."""
    name: str | None = None
    """Display name, trimmed. A blank one counts as none: the site is shown by its key (the
    admin API refuses a blank name; a config with one still loads)."""
    flow: str
    """Id of the flow this site runs."""
    groups: list[str] = Field(default_factory=list)
    """Skill groups this site's visitors may be transferred to."""
    allowed_origins: list[str] = Field(default_factory=list)
    """Origins (``https://www.acme.com``) allowed to open the visitor websocket; empty = any."""
    enabled: bool = True
    """A disabled site refuses new sessions."""
    captcha: bool = False
    """New web sessions need a solved slider puzzle (验证码), so bots cannot open chats in bulk;
    the console uploads the site's own background (docs/widget.md, "Captcha")."""

    @field_validator("name")
    @classmethod
    def _no_blank_name(cls, name: str | None) -> str | None:
        return (name or "").strip() or None


class Group(Model):
    """A skill group (客服分组): agents serving one kind of request."""

    id: str = Field(pattern=_ID)
    """Group id, unique inside the merchant."""
    name: str | None = None
    """Display name."""
    max_sessions: int = Field(default=5, ge=1, le=100)
    """Reception limit: conversations one agent of this group serves at once."""
    routing: Literal["fifo", "priority"] = "fifo"
    """``fifo``: longest-waiting visitor to the longest-idle agent; ``priority``: by the agent's
    priority in the group (1 first), then longest idle."""
    ring_timeout: float = Field(default=15, gt=0)
    """Seconds an offer rings before it goes to another agent."""
    rest_after_missed: bool = False
    """Set an agent to ``rest`` when an offer to them times out."""
    auto_accept: bool = False
    """Offers are accepted at once, without ringing."""


class Agent(Model):
    """An agent account (客服)."""

    account: str = Field(pattern=r"^[A-Za-z0-9_]{6,20}$")
    """Login name: 6-20 letters, digits or ``_``."""
    password_env: str | None = None
    """Environment variable holding the password (never write passwords into the file)."""
    password_hash: str | None = None
    """An argon2 hash of the password (``chatflow hash-password`` prints one)."""
    nickname: str = Field(min_length=1)
    """Name shown to visitors."""
    staff_no: str = Field(min_length=1)
    """Staff number shown to visitors (工号); no two agents of a merchant share one."""
    role: Role = "agent"
    """Role: agent, supervisor or admin."""
    groups: dict[str, Annotated[int, Field(ge=1, le=5)]] = Field(default_factory=dict)
    """Skill groups the agent serves, each with the agent's priority in it (1 highest .. 5)."""
    default_status: AgentStatus = "free"
    """Status right after login."""
    owner: bool = False
    """The merchant's owner account (商號總帳號): every right; sub-accounts can neither see nor
    change it. At most one per merchant."""

    @model_validator(mode="after")
    def _one_password(self) -> Agent:
        if bool(self.password_env) == bool(self.password_hash):
            raise ValueError("an agent needs exactly one of 'password_env' or 'password_hash'")
        return self


class WebhookChannel(Model):
    """A webhook/IM channel: a provider (WeChat, LINE, a bot bridge...) posts signed visitor
    messages in and gets every output frame posted back (docs/webhook-channel.md)."""

    key: str = Field(pattern=_ID)
    """Channel key in ``POST /api/v1/channels/{key}/inbound``; unique in the deployment."""
    name: str | None = Field(default=None, max_length=64)
    """Display name in the admin console (渠道), e.g. 微信公众号; the key when not set."""
    site: str
    """Key of the merchant's site whose flow the channel's conversations run."""
    secret_env: str = Field(min_length=1)
    """Environment variable holding the shared HMAC secret (both directions are signed with it)."""
    webhook_url: str = Field(pattern=r"^https?://")
    """Where output frames are delivered (the SSRF guard and ``http.allow_hosts`` apply)."""
    enabled: bool = True
    """A disabled channel refuses inbound messages."""


class Merchant(Model):
    """A merchant (商號): the tenant; nothing of one merchant is visible to another."""

    id: str = Field(pattern=_ID)
    """Merchant id, unique in the deployment."""
    name: str | None = None
    """Display name."""
    sites: list[Site] = Field(default_factory=list)
    """Sites of the merchant."""
    groups: list[Group] = Field(default_factory=list)
    """Skill groups of the merchant."""
    agents: list[Agent] = Field(default_factory=list)
    """Agents of the merchant."""
    channels: list[WebhookChannel] = Field(default_factory=list)
    """Webhook/IM channels of the merchant."""

    @model_validator(mode="after")
    def _one_owner(self) -> Merchant:
        owners = [a.account for a in self.agents if a.owner]
        if len(owners) > 1:
            raise ValueError(
                f"a merchant has at most one owner account; owners: {', '.join(owners)}"
            )
        return self

    @model_validator(mode="after")
    def _own_staff_numbers(self) -> Merchant:
        """Visitors tell agents apart by staff number (工号): no two agents of one merchant share
        one (the admin API refuses it too). Every shared number is named with its agents."""
        holders: dict[str, list[str]] = {}
        for agent in self.agents:
            holders.setdefault(agent.staff_no, []).append(agent.account)
        shared = [
            f"{staff_no!r} is given to {', '.join(accounts[:-1])} and {accounts[-1]}"
            for staff_no, accounts in holders.items()
            if len(accounts) > 1
        ]
        if shared:
            raise ValueError(
                f"each agent of merchant {self.id!r} needs a staff_no of its own (visitors see "
                f"it): {'; '.join(shared)}"
            )
        return self


class HttpPolicy(Model):
    """What HTTP nodes and webhook deliveries may call."""

    allow_hosts: list[str] = Field(default_factory=list)
    """Hosts or CIDR ranges the SSRF guard lets through even though they are private or loopback
    (``127.0.0.1``, ``10.0.0.0/8``, ``crm.internal``)."""


class Rate(Model):
    """At most ``count`` events per ``seconds``."""

    count: int = Field(ge=1)
    """How many."""
    seconds: float = Field(gt=0)
    """In how long a window."""


class Limits(Model):
    """Rate limits: of the visitor channels (per client IP and per session) and of the flow
    editor's Try (per account). Login attempts have fixed limits (docs/admin-api.md)."""

    new_sessions_per_ip: Rate = Field(default_factory=lambda: Rate(count=20, seconds=60))
    """Sessions one client IP may create."""
    messages_per_session: Rate = Field(default_factory=lambda: Rate(count=30, seconds=10))
    """Frames one visitor session may send."""
    editor_tries_per_account: Rate = Field(default_factory=lambda: Rate(count=60, seconds=60))
    """Tries one account may make in the flow editor (each replays a conversation)."""
    editor_try_steps_per_account: Rate = Field(default_factory=lambda: Rate(count=1000, seconds=60))
    """Steps one account's tries may play (a try of `n` steps costs `n + 1`); `count` must let
    the longest try (200 steps) through."""

    @model_validator(mode="after")
    def _longest_try_fits(self) -> Limits:
        from chatflow.engine.testing.trial import MAX_STEPS  # the editor's bound, not config's

        if self.editor_try_steps_per_account.count <= MAX_STEPS:
            raise ValueError(
                "editor_try_steps_per_account.count must be more than "
                f"{MAX_STEPS}, or the longest try could never be played"
            )
        return self


class Retention(Model):
    """How long what conversations leave behind is kept; ``chatflow serve`` deletes what is
    older every hour (docs/deployment.md, "Retention")."""

    ended_sessions_days: int = Field(default=7, ge=1, le=3650)
    """Days an ended conversation's live state and event log stay in the session store (what a
    returning visitor's chat window replays, and webhook channels deliver from). After that a
    returning visitor starts a new conversation; the record and transcript are kept as
    ``records_days`` says. Also how long webhook message ids are kept for deduplication."""
    inactive_sessions_days: int | None = Field(default=3, ge=1, le=3650)
    """Days a conversation that has not ended may go without any event (no message from the
    visitor, the bot or an agent, no timer) before it is closed as abandoned (ended reason
    ``idle``, as a flow's own ``idle_timeout`` would); one waiting on a timer due later is left.
    ``null`` never closes one. Flows that set ``idle_timeout`` end theirs much sooner."""
    records_days: int | None = Field(default=None, ge=1, le=36500)
    """Days conversation records (with their transcripts, images and webhook deliveries) are
    kept after the conversation ended; ``null`` (the default) keeps them until they are deleted
    in the console."""


class Privacy(Model):
    """What a conversation's record keeps of where the visitor was (docs/records-and-stats.md,
    "Personal data"). Applied before the record is written: what is not kept is never stored."""

    visitor_ip: Literal["full", "masked", "none"] = "full"
    """``full`` keeps the visitor's IP address; ``masked`` keeps only its network (IPv4: the
    last byte zeroed, ``203.0.113.0``; IPv6: the first 48 bits, ``2001:db8:85a3::``), enough
    for a region, not for one household; ``none`` keeps no address. The server's access log
    follows the same setting. Per-IP rate limits still count full addresses, in memory (or
    Redis) for their window only."""
    page_query: bool = True
    """Keep the query string of the page address and of the referrer. A query may carry a
    customer's search or an order number; ``false`` keeps scheme, host and path only."""


def _proxy(entry: str) -> str:
    """An IP address or CIDR network, written the one way ``ipaddress`` writes it."""
    try:
        if "/" in entry:
            return str(ipaddress.ip_network(entry))
        return str(ipaddress.ip_address(entry))
    except ValueError as exc:
        if "/" in entry and "host bits set" in str(exc):
            net = ipaddress.ip_network(entry, strict=False)
            raise ValueError(
                f"trusted proxy {entry!r} is not a network: its address has bits set past the "
                f"/{net.prefixlen}; did you mean {str(net)!r}?"
            ) from None
        raise ValueError(
            f"trusted proxy {entry!r} is neither an IP address (10.0.0.5, fd00::5) nor a CIDR "
            "network (10.0.0.0/8); host names are not accepted"
        ) from None


def _public_url(url: str) -> str:
    """``http(s)://host[:port][/prefix]`` without a trailing ``/``."""
    if any(ch.isspace() for ch in url):
        raise ValueError(f"public_url {url!r} must not contain spaces")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a port that is not a number or out of range
    except ValueError as exc:
        raise ValueError(f"public_url {url!r} is not a URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError(
            f"public_url {url!r} must start with https:// or http:// "
            "(the address visitors open, e.g. https://chat.acme.com)"
        )
    if not parts.hostname:
        raise ValueError(f"public_url {url!r} has no host name")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"public_url {url!r} must not carry a user name or password")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise ValueError(f"public_url {url!r} must have no query (?...) or fragment (#...)")
    del port  # checked above
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


TrustedProxy = Annotated[str, AfterValidator(_proxy)]
"""An IP address (``10.0.0.5``) or a CIDR network (``10.0.0.0/8``)."""


class Server(Model):
    """How clients reach the server: the reverse proxies in front of it and its public
    address (docs/deployment.md, "Behind a reverse proxy")."""

    trusted_proxies: list[TrustedProxy] = Field(default_factory=list)
    """IP addresses and CIDR networks of the reverse proxies in front of chatflow (``10.0.0.5``,
    ``10.0.0.0/8``). Only from these is ``X-Forwarded-For`` believed (its rightmost address that
    is not a trusted proxy becomes the client's, for the per-IP rate limits) and
    ``X-Forwarded-Proto`` (the scheme). Empty (the default): both headers are ignored, so no
    client can pick its own address."""
    public_url: Annotated[str, AfterValidator(_public_url)] | None = None
    """The address visitors and staff open, when it differs from the one chatflow listens on
    (TLS ended at the proxy, another host name): ``https://chat.acme.com``, or with a path
    prefix the proxy strips (``https://www.acme.com/support``). The serve banner and the
    console's embed codes and chat links use it. Default: ``http://<host>:<port>`` of
    ``chatflow serve``."""


class DeploymentConfig(Model):
    """A deployment: where the flows are, the merchants with their sites, groups and agents."""

    flows: str = "./flows"
    """Folder of ``*.flow.yaml`` files, relative to this file."""
    merchants: list[Merchant] = Field(default_factory=list)
    """The tenants."""
    http: HttpPolicy = Field(default_factory=HttpPolicy)
    """Policy for outgoing HTTP: HTTP nodes and webhook channel deliveries."""
    limits: Limits = Field(default_factory=Limits)
    """Rate limits of the visitor channels and of the flow editor's Try."""
    server: Server = Field(default_factory=Server)
    """The reverse proxies in front of the server and its public address."""
    retention: Retention = Field(default_factory=Retention)
    """How long ended conversations and their records are kept."""
    privacy: Privacy = Field(default_factory=Privacy)
    """What the records keep of a visitor's address and page."""
