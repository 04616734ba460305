"""Route-matrix samples of merchant content: quick replies, sensitive words, visitors, the
blacklist, tag groups and tags. Objects are made through the API by the tenant's owner."""

from __future__ import annotations

from typing import Any

from admin_world import Sample, Tenant
from route_samples_records import make_tag, make_visitor

Q = "/api/v1/quick-replies"
W = "/api/v1/sensitive-words"
CSV = "组名,标题,内容\n常用语,开头语,您好！很高兴为您服务\n".encode()


def make_reply(t: Tenant) -> int:
    body = {"scope": "team", "category": t.label, "title": t.fresh("qr"), "content": "您好"}
    return int(t.call("POST", Q, json=body)["id"])


def make_word(t: Tenant) -> int:
    added = t.call("POST", W, json={"kind": "sensitive", "words": [f"{t.label}{t.fresh('w')}"]})
    return int(added["added"][0]["id"])


def make_tag_group(t: Tenant) -> int:
    body = {"name": f"{t.label} {t.fresh('tg')}", "multi": False, "tags": ["a", "b"]}
    return int(t.call("POST", "/api/v1/tag-groups", json=body)["id"])


def blacklisted_visitor(t: Tenant) -> str:
    visitor = make_visitor(t)
    t.call("PUT", f"/api/v1/blacklist/{visitor}", json={"reason": f"{t.label} abuse"})
    return visitor


def _reply_body(t: Tenant) -> dict[str, Any]:
    return {"scope": "team", "category": t.label, "title": t.fresh("qr"), "content": "稍等"}


SAMPLES: dict[str, Sample] = {
    # quick replies
    f"GET {Q}": Sample(query=lambda t: {"q": "您好"}),
    f"POST {Q}": Sample(body=_reply_body),
    f"GET {Q}/categories": Sample(),
    f"GET {Q}/suggest": Sample(query=lambda t: {"prefix": "#qr"}),
    f"GET {Q}/template.csv": Sample(),
    f"POST {Q}/import": Sample(
        content=lambda t: ("text/csv", CSV), query=lambda t: {"scope": "team", "filename": "q.csv"}
    ),
    f"PATCH {Q}/{{reply_id}}": Sample(
        path=lambda t: {"reply_id": make_reply(t)}, body=lambda t: {"content": "您好，请稍等"}
    ),
    f"DELETE {Q}/{{reply_id}}": Sample(path=lambda t: {"reply_id": make_reply(t)}),
    # sensitive words
    f"GET {W}": Sample(query=lambda t: {"kind": "sensitive"}),
    f"POST {W}": Sample(body=lambda t: {"kind": "forbidden", "words": [t.fresh("bad")]}),
    f"DELETE {W}/{{word_id}}": Sample(path=lambda t: {"word_id": make_word(t)}),
    f"POST {W}/check": Sample(body=lambda t: {"text": "加我微信", "sender": "agent"}),
    # visitors and the blacklist
    "GET /api/v1/visitors": Sample(query=lambda t: {"q": "visitor"}),
    "GET /api/v1/visitors/{visitor_id}": Sample(path=lambda t: {"visitor_id": make_visitor(t)}),
    "PUT /api/v1/visitors/{visitor_id}": Sample(
        path=lambda t: {"visitor_id": make_visitor(t)},
        body=lambda t: {"name": f"{t.label} 王", "phone": "0912345678", "note": "vip"},
    ),
    "DELETE /api/v1/visitors/{visitor_id}": Sample(path=lambda t: {"visitor_id": make_visitor(t)}),
    "GET /api/v1/blacklist": Sample(),
    "PUT /api/v1/blacklist/{visitor_id}": Sample(
        path=lambda t: {"visitor_id": make_visitor(t)}, body=lambda t: {"reason": "abuse"}
    ),
    "DELETE /api/v1/blacklist/{visitor_id}": Sample(
        path=lambda t: {"visitor_id": blacklisted_visitor(t)}
    ),
    # tags
    "GET /api/v1/tag-groups": Sample(),
    "POST /api/v1/tag-groups": Sample(
        body=lambda t: {"name": t.fresh("tg"), "multi": True, "tags": ["新客", "老客"]}
    ),
    "PATCH /api/v1/tag-groups/{group_id}": Sample(
        path=lambda t: {"group_id": make_tag_group(t)}, body=lambda t: {"name": t.fresh("tg")}
    ),
    "DELETE /api/v1/tag-groups/{group_id}": Sample(path=lambda t: {"group_id": make_tag_group(t)}),
    "POST /api/v1/tag-groups/{group_id}/tags": Sample(
        path=lambda t: {"group_id": make_tag_group(t)}, body=lambda t: {"name": t.fresh("tag")}
    ),
    "PATCH /api/v1/tags/{tag_id}": Sample(
        path=lambda t: {"tag_id": make_tag(t)}, body=lambda t: {"name": t.fresh("tag")}
    ),
    "DELETE /api/v1/tags/{tag_id}": Sample(path=lambda t: {"tag_id": make_tag(t)}),
    "PUT /api/v1/visitors/{visitor_id}/tags": Sample(
        path=lambda t: {"visitor_id": make_visitor(t)},
        body=lambda t: {"tag_ids": [make_tag(t)]},
        foreign_bodies=lambda own, other: [{"tag_ids": [make_tag(other)]}],
    ),
    "POST /api/v1/visitors/tags": Sample(
        body=lambda t: {"visitor_ids": [make_visitor(t)], "tag_ids": [make_tag(t)]},
        foreign_bodies=lambda own, other: [
            {"visitor_ids": [make_visitor(other)], "tag_ids": [make_tag(own)]},
            {"visitor_ids": [make_visitor(own)], "tag_ids": [make_tag(other)]},
        ],
        scope_fields=("visitor_ids", "tag_ids"),
    ),
}
