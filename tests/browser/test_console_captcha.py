"""The console's captcha of a site in headless Chromium (seed 000's 驗證碼): an administrator
switches it on in the site form, uploads the site's image (a PNG named .jpg is refused), sees it,
replaces it by clicking it, and deletes it back to the default images. Read back through the
admin API; a screenshot lands in test-artifacts/."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from staff_kit import WAIT, console_log_in, open_section, token_for, watch_problems

pytestmark = pytest.mark.slow


def picture(path: Path, colour: str, kind: str = "JPEG") -> Path:
    out = io.BytesIO()
    Image.new("RGB", (300, 150), colour).save(out, kind)
    path.write_bytes(out.getvalue())
    return path


def test_an_admin_switches_the_captcha_on_and_manages_its_image(
    demo_server: str, browser: Any, artifacts: Path, tmp_path: Path
) -> None:
    base = demo_server
    headers = {"Authorization": f"Bearer {token_for(base, 'demo_alice')}"}
    site = f"{base}/api/v1/admin/sites/demo-web"
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    problems = watch_problems(page)
    console_log_in(page, base, "demo_alice")
    sites = open_section(page, "sites")
    dialog = page.locator(".cs-dialog")
    row = sites.locator("tbody tr", has_text="demo-web")

    row.locator('[data-action="edit"]').click()
    dialog.locator('[data-name="captcha"]').check()
    dialog.locator("button[type=submit]").click()
    row.locator(".cs-badge", has_text="Captcha").wait_for(timeout=WAIT)
    assert httpx.get(site, headers=headers).json()["captcha"] is True

    row.locator('[data-action="captcha"]').click()
    dialog.get_by_text("three default images").wait_for(timeout=WAIT)
    assert dialog.locator(".cs-captcha-image").is_hidden()
    file = dialog.locator('[data-name="captcha-file"]')
    file.set_input_files(str(picture(tmp_path / "fake.jpg", "green", "PNG")))
    dialog.get_by_text("must be a JPEG").wait_for(timeout=WAIT)
    file.set_input_files(str(picture(tmp_path / "red.jpg", "red")))
    dialog.locator(".cs-captcha-frame.has-image").wait_for(timeout=WAIT)
    red = "() => document.querySelector('.cs-captcha-image').getContext('2d')"
    red += ".getImageData(5, 5, 1, 1).data[0] > 200"
    page.wait_for_function(red, timeout=WAIT)
    assert httpx.get(site, headers=headers).json()["captcha_image"] is True
    page.screenshot(path=str(artifacts / "console-captcha.png"))

    with page.expect_file_chooser() as chooser:
        dialog.locator(".cs-captcha-image").click()  # click the image to upload another
    chooser.value.set_files(str(picture(tmp_path / "blue.jpg", "blue")))
    blue = red.replace("data[0] > 200", "data[2] > 200")
    page.wait_for_function(blue, timeout=WAIT)
    stored = httpx.get(f"{site}/captcha-image", headers=headers)
    assert Image.open(io.BytesIO(stored.content)).convert("RGB").getpixel((5, 5))[2] > 200

    dialog.locator('[data-action="delete"]').click()
    dialog.get_by_text("three default images").wait_for(timeout=WAIT)
    assert httpx.get(site, headers=headers).json()["captcha_image"] is False
    assert problems == []
    page.close()
