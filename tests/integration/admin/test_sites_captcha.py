"""A site's captcha in the sites API (seed 000's 驗證碼): the switch, and its one uploaded
background (JPEG only, 300 x 150 or 2:1, replaced by the next upload, deleted back to the three
default ones), as the visitor's puzzle then shows it."""

from __future__ import annotations

import base64
import io
import os

from admin_world import World
from PIL import Image
from sqlmodel import Session, func, select

from chatflow.engine.stores.channeltables import ImageBlobRow

S = "/api/v1/admin/sites"


def jpeg(width: int = 300, height: int = 150, colour: str = "red", kind: str = "JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, kind)
    return out.getvalue()


def blobs(world: World) -> int:
    with Session(world.client.app.state.records) as db:  # type: ignore[attr-defined]
        return int(db.exec(select(func.count()).select_from(ImageBlobRow)).one())


def test_the_switch_is_set_at_creation_and_changed_by_a_patch(world: World) -> None:
    t = world.acme
    key = t.fresh("k").replace("_", "-")
    made = t.call("POST", S, json={"key": key, "flow": t.flow, "captcha": True})
    assert (made["captcha"], made["captcha_image"]) == (True, False)
    assert t.client.get(f"/api/v1/sites/{key}/captcha").status_code == 200
    assert t.call("PATCH", f"{S}/{key}", json={"name": "n"})["captcha"] is True
    assert t.call("PATCH", f"{S}/{key}", json={"captcha": False})["captcha"] is False
    assert t.client.get(f"/api/v1/sites/{key}/captcha").status_code == 404
    assert t.call("GET", f"{S}/{t.site}")["captcha"] is False  # sites from chatflow.yaml: off


def test_one_uploaded_background_is_shown_replaced_and_deleted(world: World) -> None:
    t = world.acme
    key = t.make_site()
    t.call("PATCH", f"{S}/{key}", json={"captcha": True})
    image = f"{S}/{key}/captcha-image"
    assert t.client.get(image, headers=t.headers()).status_code == 404
    before = blobs(world)
    up = {**t.headers(), "content-type": "image/jpeg"}

    first = t.client.put(image, headers=up, content=jpeg(600, 300, "red"))
    assert first.status_code == 200 and first.json()["captcha_image"] is True
    shown = t.client.get(image, headers=t.headers())
    assert shown.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(shown.content)).size == (300, 150)  # scaled down
    puzzle = t.client.get(f"/api/v1/sites/{key}/captcha").json()
    background = base64.b64decode(puzzle["background"].partition(",")[2])
    assert Image.open(io.BytesIO(background)).convert("RGB").getpixel((1, 1))[0] > 230

    assert t.client.put(image, headers=up, content=jpeg(colour="blue")).status_code == 200
    assert blobs(world) == before + 1  # at most one: the new one replaced the old
    shown = Image.open(io.BytesIO(t.client.get(image, headers=t.headers()).content))
    assert shown.convert("RGB").getpixel((1, 1))[2] > 200

    deleted = t.call("DELETE", image)
    assert deleted["captcha_image"] is False and blobs(world) == before
    assert t.client.get(image, headers=t.headers()).status_code == 404
    assert t.client.get(f"/api/v1/sites/{key}/captcha").status_code == 200  # default pictures


def test_only_a_jpeg_of_the_right_size_and_weight_is_taken(world: World) -> None:
    t = world.acme
    key = t.make_site()
    image = f"{S}/{key}/captcha-image"
    up = {**t.headers(), "content-type": "image/jpeg"}
    cases = [
        (jpeg(kind="PNG"), 415, "unsupported_type"),  # a PNG named .jpg: its bytes say PNG
        (jpeg(400, 150), 422, "invalid_image"),
        (jpeg(200, 100), 422, "invalid_image"),
        (os.urandom(1024 * 1024 + 1), 413, "too_large"),
    ]
    for content, status, code in cases:
        response = t.client.put(image, headers=up, content=content)
        assert response.status_code == status, response.text
        assert response.json()["type"] == f"urn:chatflow:{code}"
    assert t.call("GET", f"{S}/{key}")["captcha_image"] is False


def test_a_disabled_site_takes_no_new_background(world: World) -> None:
    t = world.acme
    key = t.make_site()
    t.call("POST", f"{S}/{key}/disable")
    up = {**t.headers(), "content-type": "image/jpeg"}
    response = t.client.put(f"{S}/{key}/captcha-image", headers=up, content=jpeg())
    assert response.status_code == 409
    assert t.client.delete(f"{S}/{key}/captcha-image", headers=t.headers()).status_code == 409
