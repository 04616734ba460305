from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from records_kit import Kit, kit_fixture  # noqa: F401  (the fixture "kit")

URL = "/api/v1/quick-replies"


def make(kit: Kit, account: str, **body: Any) -> Any:
    response = kit.client.post(URL, json=body, headers=kit.as_(account))
    assert response.status_code == 201, response.text
    return response.json()


def titles(kit: Kit, account: str, path: str = "", **params: Any) -> list[str]:
    response = kit.client.get(URL + path, params=params, headers=kit.as_(account))
    assert response.status_code == 200, response.text
    body = response.json()
    items = body if isinstance(body, list) else body["items"]
    return [item["title"] for item in items]


def test_personal_replies_are_the_owners_and_team_replies_are_shared(kit: Kit) -> None:
    mine = make(kit, "alice01", category="常用语", title="开头语", content="您好！")
    make(kit, "bob0001", category="常用语", title="Bob 的开头", content="Hi")
    team = make(kit, "sup0001", scope="team", category="致歉语", title="久等", content="抱歉久等了")
    make(kit, "carol01", scope="team", category="x", title="other merchant", content="x")
    assert mine["scope"] == "personal" and team["scope"] == "team"
    assert titles(kit, "alice01") == ["开头语", "久等"]  # personal first
    assert titles(kit, "alice01", scope="team") == ["久等"]
    assert titles(kit, "bob0001", scope="personal") == ["Bob 的开头"]
    # an agent may not write team replies, nor touch another account's personal ones
    denied = kit.client.post(
        URL, json={"scope": "team", "title": "t", "content": "c"}, headers=kit.as_("alice01")
    )
    assert denied.status_code == 403
    assert kit.client.delete(f"{URL}/{team['id']}", headers=kit.as_("alice01")).status_code == 403
    for account in ("bob0001", "carol01"):
        patch = kit.client.patch(
            f"{URL}/{mine['id']}", json={"content": "x"}, headers=kit.as_(account)
        )
        assert patch.status_code == 404
    changed = kit.client.patch(
        f"{URL}/{mine['id']}", json={"content": "您好，请问？"}, headers=kit.as_("alice01")
    ).json()
    assert changed["content"] == "您好，请问？" and changed["title"] == "开头语"
    assert kit.client.delete(f"{URL}/{mine['id']}", headers=kit.as_("alice01")).status_code == 204
    assert titles(kit, "alice01") == ["久等"]


def test_search_categories_and_hash_suggestions(kit: Kit) -> None:
    make(kit, "alice01", category="价格相关", title="运费", content="满 99 包邮")
    make(kit, "alice01", category="常用语", title="退货流程", content="请在订单页申请退货")
    make(kit, "alice01", category="常用语", title="再见", content="感谢咨询，退货请找我们")
    make(kit, "admin01", scope="team", category="退货", title="地址", content="寄回仓库")
    assert titles(kit, "alice01", q="退货") == ["再见", "退货流程", "地址"]
    assert titles(kit, "alice01", q="99") == ["运费"]
    assert titles(kit, "alice01", category="常用语") == ["再见", "退货流程"]
    categories = kit.client.get(f"{URL}/categories", headers=kit.as_("alice01")).json()
    assert categories == [
        {"scope": "personal", "category": "价格相关", "count": 1},
        {"scope": "personal", "category": "常用语", "count": 2},
        {"scope": "team", "category": "退货", "count": 1},
    ]
    # '#退': title starting with it, then category, then content; personal before team
    assert titles(kit, "alice01", "/suggest", prefix="#退") == ["退货流程", "地址", "再见"]
    assert titles(kit, "alice01", "/suggest", prefix="", limit=2) == ["运费", "再见"]


def csv_upload(kit: Kit, data: bytes, account: str = "alice01", **params: Any) -> Any:
    return kit.client.post(
        f"{URL}/import",
        params=params,
        content=data,
        headers={**kit.as_(account), "Content-Type": "application/octet-stream"},
    )


def test_import_csv_reports_bad_rows_and_replaces_same_titles(kit: Kit) -> None:
    make(kit, "alice01", category="联系方式", title="400电话", content="旧号码")
    data = (
        "组名,标题,内容\n联系方式,400电话,新号码 400\n联系方式,邮箱,\n常用语,你好,您好\n".encode()
    )
    response = csv_upload(kit, data, filename="quick-template.csv")
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["file_type"], report["imported"], report["updated"]) == ("csv", 1, 1)
    assert report["errors"] == [
        {"row": 3, "column": "content", "heading": "内容", "message": "content is required"}
    ]
    replies = kit.client.get(URL, headers=kit.as_("alice01")).json()["items"]
    assert {r["title"]: r["content"] for r in replies} == {"400电话": "新号码 400", "你好": "您好"}


def test_import_xlsx_into_the_team_needs_edit(kit: Kit) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["category", "title", "content"])
    sheet.append(["价格", "运费", "包邮"])
    out = io.BytesIO()
    book.save(out)
    assert csv_upload(kit, out.getvalue(), scope="team").status_code == 403  # alice is an agent
    report = csv_upload(kit, out.getvalue(), account="sup0001", scope="team").json()
    assert report["file_type"] == "xlsx" and report["imported"] == 1
    assert titles(kit, "alice01", scope="team") == ["运费"]


def test_upload_checks_size_type_and_transport(kit: Kit) -> None:
    big = csv_upload(kit, b"title,content\n" + b"a,b\n" * 600_000)
    assert big.status_code == 413 and big.json()["type"] == "urn:chatflow:too_large"
    png = csv_upload(kit, b"\x89PNG\r\n\x1a\n\x00\x00", filename="replies.csv")
    assert png.status_code == 415
    named_wrong = csv_upload(kit, b"title,content\na,b\n", filename="replies.xlsx")
    assert named_wrong.status_code == 415
    form = kit.client.post(
        f"{URL}/import",
        content=b"--x\r\n",
        headers={**kit.as_("alice01"), "Content-Type": "multipart/form-data; boundary=x"},
    )
    assert form.status_code == 415
    template = kit.client.get(f"{URL}/template.csv", headers=kit.as_("alice01"))
    assert template.content.decode("utf-8-sig").startswith("组名,标题,内容")
