"""The quick-reply import's report (QA pass, content finding 2): importing the same file again
says its rows are ``unchanged`` and leaves the stored replies as they were (their
``updated_at`` too); a row with new content is ``updated``; a refused row names its column by
the heading the file uses (组名, 标题, 内容 or the English ones), beside the column's code. Real
app, real SQLite, the admin world's accounts."""

from __future__ import annotations

from typing import Any

from admin_world import Tenant, World
from sqlmodel import Session, col, select

from chatflow.engine.stores.contenttables import QuickReplyRow

Q = "/api/v1/quick-replies"
FILE = (
    "组名,标题,内容\n"
    "联系方式,400电话,请拨打 400 电话\n"
    "联系方式,团队邮件,发邮件给我们\n"
    "常用语,开头语,您好！\n"
    ",无分组,没有分组的回复\n"
)


def upload(t: Tenant, text: str, lang: str = "en", **params: str) -> Any:
    headers = {
        **t.headers(),
        "Accept-Language": lang,
        "Content-Type": "application/octet-stream",
    }
    params = {"scope": "team", "filename": "replies.csv", **params}
    answer = t.client.post(f"{Q}/import", params=params, content=text.encode(), headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def stored(world: World, merchant: str) -> dict[str, tuple[str, Any]]:
    """Title -> (content, updated_at) of the merchant's team replies, read from the database."""
    app: Any = world.client.app
    with Session(app.state.records) as db:
        rows = db.exec(
            select(QuickReplyRow).where(
                col(QuickReplyRow.merchant_id) == merchant,
                col(QuickReplyRow.owner_account_id).is_(None),
            )
        ).all()
        return {row.title: (row.content, row.updated_at) for row in rows}


def test_the_same_file_again_changes_nothing_and_says_so(world: World) -> None:
    t = world.acme
    first = upload(t, FILE)
    assert (first["imported"], first["updated"], first["unchanged"]) == (4, 0, 0)
    before = stored(world, "acme")
    assert len(before) == 4

    again = upload(t, FILE)
    assert (again["imported"], again["updated"], again["unchanged"], again["errors"]) == (
        0,
        0,
        4,
        [],
    )
    assert stored(world, "acme") == before  # not one row written: same contents, same times

    # one reply's content changed, one row new: only those are written
    changed = FILE.replace("您好！", "您好，请问有什么可以帮您？") + "常用语,结束语,再见\n"
    third = upload(t, changed)
    assert (third["imported"], third["updated"], third["unchanged"]) == (1, 1, 3)
    after = stored(world, "acme")
    assert after["开头语"][0] == "您好，请问有什么可以帮您？"
    assert after["开头语"][1] > before["开头语"][1]
    assert {k: v for k, v in after.items() if k not in ("开头语", "结束语")} == {
        k: v for k, v in before.items() if k != "开头语"
    }


def test_unchanged_is_per_scope(world: World) -> None:
    """The same row in the personal scope is a new reply there, not the team's unchanged one."""
    t = world.acme
    upload(t, FILE)
    personal = upload(t, FILE, scope="personal")
    assert (personal["imported"], personal["updated"], personal["unchanged"]) == (4, 0, 0)


def test_a_refused_row_names_its_column_by_the_files_heading(world: World) -> None:
    t = world.acme
    text = "组名,标题,内容\n联系方式,400电话,\n" + f"{'长' * 33},超长,内容\n"
    report = upload(t, text, "zh-CN")
    assert report["errors"] == [
        {"row": 2, "column": "content", "heading": "内容", "message": "内容不能为空"},
        {"row": 3, "column": "category", "heading": "组名", "message": "组名超过 32 个字"},
    ]
    english = "\ufeffGroup, Title ,Text,note\nsales,,hello\n"
    report = upload(t, english)
    assert report["errors"] == [
        {"row": 2, "column": "title", "heading": "Title", "message": "title is required"}
    ]
