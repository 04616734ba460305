"""``docs/config-reference.md``, generated from the deployment config's models
(``chatflow schema --docs``), so the reference of ``chatflow.yaml`` cannot drift from the code:
a test compares the committed file with this output."""

from __future__ import annotations

from pydantic import BaseModel

from chatflow.engine.config import DeploymentConfig
from chatflow.engine.modeldocs import doc, submodels, table

DOC_NAME = "config-reference.md"
HEADER = (
    "<!-- Generated from the config models by `chatflow schema --docs --write` "
    "(engine/configdocs.py, fields in engine/config.py); do not edit by hand. -->"
)

INTRO = """\
`chatflow.yaml` describes a deployment: where its flows are, the merchants (tenants) with their
sites, agent groups, agents and webhook channels, and the server's settings. `chatflow serve
--config chatflow.yaml` runs it (with no `--config`, the demo in `examples/demo/`), and
`chatflow validate` checks it with the flows it names. Editors that read JSON Schema complete and
check it as you type from `schemas/chatflow-config.schema.json` (the first line of the example
below asks for it).

At the first start the merchants, sites, groups and agents are copied into the records database;
from then on the admin API and console manage them, and restarts add only what is new in the
file ([admin-api.md](admin-api.md)). `chatflow export-config` writes the database back as a
`chatflow.yaml`. The webhook channels and the `http`, `limits` and `server` sections are read
from the file at every start.
"""

EXAMPLE = """\
```yaml
# yaml-language-server: $schema=schemas/chatflow-config.schema.json
flows: ./flows
merchants:
  - id: acme
    name: Acme
    sites:
      - {key: acme-web, flow: reception, groups: [presales], allowed_origins: ["https://acme.com"]}
    groups:
      - {id: presales, name: Presales, max_sessions: 5}
    agents:
      - account: acme_alice
        password_env: ACME_ALICE_PASSWORD
        nickname: Alice
        staff_no: "1001"
        role: admin
        groups: {presales: 1}
    channels:
      - key: acme-im
        site: acme-web
        secret_env: ACME_IM_SECRET
        webhook_url: https://im.acme.com/chatflow
limits:
  new_sessions_per_ip: {count: 20, seconds: 60}
server:
  trusted_proxies: [10.0.0.0/8]
  public_url: https://chat.acme.com
```
"""

SECRETS = """\
## Secrets

The file names secrets, it does not hold them: an agent's `password_env` and a channel's
`secret_env` are names of environment variables read at start. An agent may carry an argon2
`password_hash` instead (what `export-config` writes); never a password.
"""


def reference() -> str:
    """The whole reference page as Markdown."""
    out = [HEADER, "", "# `chatflow.yaml` reference", "", INTRO, EXAMPLE]
    out += _section("Top-level fields", DeploymentConfig, anchor="deploymentconfig")
    for model in submodels(DeploymentConfig, set()):
        out += _section(f"`{model.__name__}`", model, anchor=model.__name__.lower())
    out += [SECRETS]
    return "\n".join(out).rstrip() + "\n"


def _section(title: str, model: type[BaseModel], *, anchor: str) -> list[str]:
    return [f'<a id="{anchor}"></a>', "", f"## {title}", "", doc(model), "", *table(model)]
