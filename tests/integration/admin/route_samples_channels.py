"""Route-matrix declarations of the visitor-facing channel routes: exempt, each with the reason.

They take no account token: visitors hold a token bound to one session, webhooks sign with their
channel's secret. Their isolation is tested beside the channels; the matrix only requires that
each route is declared, so a new channel route is never skipped unnoticed.
"""

from __future__ import annotations

from admin_world import Sample

SAMPLES: dict[str, Sample] = {
    "POST /api/v1/sites/{site_key}/sessions": Sample(
        exempt="public visitor entry, no account; unknown and throttled sites are problems in "
        "tests/integration/web/test_visitor_channel.py"
    ),
    "GET /api/v1/sites/{site_key}/captcha": Sample(
        exempt="public visitor entry (a site's puzzle), no account: "
        "tests/integration/web/test_captcha_sessions.py"
    ),
    "GET /api/v1/sessions/{session_id}/events": Sample(
        exempt="visitor token bound to its one session (channels/web.py session_for); "
        "tests/integration/web/test_visitor_channel.py"
    ),
    "POST /api/v1/sessions/{session_id}/images": Sample(
        exempt="visitor token of the session only: tests/integration/web/test_images.py"
    ),
    "GET /api/v1/images/{image_id}": Sample(
        exempt="unguessable image ids: tests/integration/web/test_images.py"
    ),
    "POST /api/v1/channels/{key}/inbound": Sample(
        exempt="HMAC-signed per channel: tests/integration/webhook/test_webhook_channel.py"
    ),
    "GET /chat/{site_key}": Sample(exempt="the static chat page; it carries no tenant data"),
    "GET /favicon.ico": Sample(exempt="the pages' static icon; it carries no tenant data"),
}
