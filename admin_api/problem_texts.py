"""The catalogue of the API's error texts in zh-CN, keyed on the English the raise sites write.

A key is the English text as its f-string reads, with named placeholders: ``{x}`` matches any
text, ``{x!r}`` a quoted name or a number (what ``!r`` prints). In the zh-CN text ``{x}`` puts the
value back as it is, ``{x!t}`` puts its words (from :data:`TERMS`, or another text of the
catalogue) and ``{x!l}`` does that for each item of a ``, ``-list. ``{{`` is a brace. The words
are the staff pages' own (站点, 分组, 客服, 会话, 快捷回复, 敏感词, 流程 ...). The matching is in
:mod:`problem_language`; tests/unit/admin_api/test_problem_texts.py holds this table complete.
"""

from __future__ import annotations

TERMS: dict[str, str] = {
    # what a helper names (``not_found("site", key)``, ``unknown("group", ...)``)
    "account": "账号",
    "group": "分组",
    "permission group": "权限组",
    "site": "站点",
    # the features of a permission group, as the console names them
    "accounts": "子账号",
    "permission_groups": "权限组",
    "sites": "站点",
    "groups": "客服分组",
    "agents": "客服",
    "flows": "流程",
    "quick_replies": "快捷回复",
    "sensitive_words": "敏感词",
    "blacklist": "黑名单",
    "tags": "标签",
    "records": "服务记录",
    "statistics": "统计",
    "exports": "导出",
    "settings": "设置（工作台应用）",
    "channels": "渠道",
    # rights and actions
    "view": "查看",
    "edit": "编辑",
    "delete": "删除",
    "disable": "禁用",
    # a password's rules (passwords.password_problems)
    "be 8-20 characters long": "为 8-20 个字符",
    "contain no spaces": "不含空格",
    "contain an upper-case letter": "包含大写字母",
    "contain a lower-case letter": "包含小写字母",
    "contain a digit": "包含数字",
    "contain a symbol such as !@#$%": "包含符号（如 !@#$%）",
    # why an agent cannot take a conversation (AgentUnavailable's reason: its status or this)
    "offline": "离线",
    "busy": "忙碌",
    "rest": "小休",
    "arrange": "整理",
    "not_ready": "未就绪",
    "full": "已满",
    "already in the conversation": "已在会话中",
    # why a site cannot run a flow (routes_sites._no_flow)
    "has no published version in this merchant": "在此商户中没有已发布的版本",
    "was deleted while the site was being saved": "在保存站点时被删除了",
    # a flow version's status, and what a JSON value is
    "archived": "归档",
    "an array": "数组",
    "a string": "字符串",
    "a boolean": "布尔值",
    "a number": "数字",
}
"""Words that appear inside texts, put in by ``{x!t}``."""

_REQUESTS: dict[str, str] = {
    # problems.py, auth, and the request as a whole
    "the request is not valid": "请求无效",
    "an unexpected error happened; it has been logged": "发生了意外错误，已记录",
    "Not Found": "未找到",
    "Method Not Allowed": "不支持该请求方法",
    "the message is not valid": "消息无效",
    "send 'Authorization: Bearer <token>'": "请发送 'Authorization: Bearer <token>'",
    "the token is invalid or has expired; log in again": "登录已失效，请重新登录",
    "the account no longer exists": "账号已不存在",
    "account or password is incorrect": "账号或密码错误",
    "too many failed logins; try again later": "登录失败次数过多，请稍后再试",
    "too many wrong passwords; try again later": "密码错误次数过多，请稍后再试",
    "this account may not {level} {feature}": "此账号没有{feature!t}的{level!t}权限",
    "this account may not edit the blacklist": "此账号没有编辑黑名单的权限",
    "this account may not edit team quick replies": "此账号没有编辑团队快捷回复的权限",
    "{what}; try again in {seconds} s": "{what!t}，请 {seconds} 秒后再试",
    "too many tries from this account": "此账号试运行太频繁",
    "this account's tries played too many steps ({steps} now)": (
        "此账号的试运行步数太多（本次 {steps} 步）"
    ),
    "unknown feature {feature!r}; known: {known}": "未知的功能 {feature}；可用的功能：{known}",
    "unknown feature {features}. Available features: {known}": (
        "未知的功能 {features}。可用的功能：{known}"
    ),
    "unknown feature {feature!r}. Available features: {known}. Did you mean {close!r}?": (
        "未知的功能 {feature}。可用的功能：{known}。是不是 {close}？"
    ),
    # lookups (tenants.not_found and its kin)
    "no {what} {ident!r}": "{what!t} {ident} 不存在",
    "no session {session!r}": "会话 {session} 不存在",
    "no conversation {session!r}": "会话 {session} 不存在",
    "no agent {agent!r}": "客服 {agent} 不存在",
    "no group {group!r}": "分组 {group} 不存在",
    "no visitor {visitor!r}": "访客 {visitor} 不存在",
    "no tag {ids}": "标签 {ids} 不存在",
    "no tag group {id}": "标签组 {id} 不存在",
    "no quick reply {id}": "快捷回复 {id} 不存在",
    "no word {id}": "词 {id} 不存在",
    "no workbench app {id}": "工作台应用 {id} 不存在",
    "none of these conversations exists": "这些会话都不存在",
    "none of these visitors exists": "这些访客都不存在",
    "unknown {what} {names}; this merchant has: {valid}.": (
        "未知的{what!t} {names}；此商户有：{valid}。"
    ),
    "unknown {what} {names}; this merchant has: {valid}. Did you mean {close!r}?": (
        "未知的{what!t} {names}；此商户有：{valid}。是不是 {close}？"
    ),
    "unknown permission group {id}; this merchant has: {names}": (
        "未知的权限组 {id}；此商户有：{names}"
    ),
}

_ACCOUNTS: dict[str, str] = {
    "account name {account!r} is taken; choose another": "账号名 {account} 已被使用，请换一个",
    "staff number {staff_no!r} is taken by another account of this merchant; choose another": (
        "工号 {staff_no} 已被本商户的其他账号使用，请换一个"
    ),
    "create a permission group first: every sub-account takes its rights from one": (
        "请先创建权限组：每个子账号的权限都来自一个权限组"
    ),
    "you cannot {what} the account you are logged in with": "不能{what!t}当前登录的账号",
    "the password given as proof is incorrect": "用于确认的密码不正确",
    "the owner account always has every right; only its profile changes": (
        "商户总账号始终拥有全部权限，只能修改它的资料"
    ),
    "account {account!r} is enabled; disable it first: only a disabled account can be deleted": (
        "账号 {account} 仍在启用中：只有已禁用的账号才能删除，请先禁用"
    ),
    "changing your own password needs old_password": "修改自己的密码需要提供 old_password",
    "changing another account's password needs admin_password: your own password": (
        "修改其他账号的密码需要提供 admin_password：你自己的密码"
    ),
    "account must be 6-20 characters of letters, digits or _": ("账号须为 6-20 个字母、数字或 _"),
    "password must {rules}": "密码必须{rules!l}",
    "site_scope 'chosen' needs at least one site in 'sites'": (
        "site_scope 为 'chosen' 时，'sites' 中至少要有一个站点"
    ),
    "the merchant has no sites yet, so only site_scope 'all' is possible": (
        "此商户还没有站点，site_scope 只能为 'all'"
    ),
    "agent_scope 'groups' needs at least one group in 'scope_groups'": (
        "agent_scope 为 'groups' 时，'scope_groups' 中至少要有一个分组"
    ),
    "a permission group named {name!r} already exists": "已有名为 {name} 的权限组",
    "permission group {name!r} is used by {accounts}; give them another group first": (
        "权限组 {name} 仍被 {accounts} 使用：请先为它们换一个权限组"
    ),
}

_SITES_AND_GROUPS: dict[str, str] = {
    "site {key!r} is disabled; a disabled site can never be enabled or changed again. "
    "Contact the administrator if it must come back.": (
        "站点 {key} 已禁用：禁用的站点不能再启用或修改。若需恢复，请联系管理员。"
    ),
    "an account limited to chosen sites cannot create sites": "只能管理指定站点的账号不能创建站点",
    "site key {key!r} is taken; choose another": "站点标识 {key} 已被使用，请换一个",
    "the merchant has no agent groups yet; create one first": "此商户还没有客服分组，请先创建一个",
    "flow {flow!r} {why}; published flows: {published}. "
    "Upload and publish it under /api/v1/admin/flows.": (
        "流程 {flow} {why!t}；已发布的流程：{published}。请先在 /api/v1/admin/flows 上传并发布它。"
    ),
    "group {group!r} already exists": "分组 {group} 已存在",
    "group {group!r} is still used by {users}; remove it from them first": (
        "分组 {group} 仍被 {users!l} 使用，请先从中移除"
    ),
    # what uses a group (routes_groups.delete_group), one item of the list above
    "site {site!r}": "站点 {site}",
    "flow {flow!r} (version {version})": "流程 {flow}（版本 {version}）",
    "{flow} (version {version})": "{flow}（版本 {version}）",  # the console's list of them
    "a workbench app named {name!r} already exists": "已有名为 {name} 的工作台应用",
    "a merchant has at most {limit} workbench apps; delete one first": (
        "每个商户最多有 {limit} 个工作台应用，请先删除一个"
    ),
    "the name must not be blank": "名称不能为空",
    "the name must be at most {limit} characters ({given} given)": (
        "名称最多 {limit} 个字（现有 {given} 个）"
    ),
    "the name must not contain control characters": "名称不能包含控制字符",
    "the URL must be at most {limit} characters ({given} given)": (
        "地址最多 {limit} 个字符（现有 {given} 个）"
    ),
    "the URL must not contain spaces or control characters": "地址不能包含空格或控制字符",
    "the URL is not valid: write it as https://host/path": "地址无效：请写成 https://host/path",
    "the URL must start with https://": "地址必须以 https:// 开头",
    "the URL must not contain a user name or password (user:password@)": (
        "地址不能包含用户名或密码（user:password@）"
    ),
    "the URL needs a valid host: https://host/path": "地址需要有效的主机名：https://host/path",
    "http:// is only for localhost and 127.0.0.1 (local development): use https://": (
        "http:// 只能用于 localhost 和 127.0.0.1（本机开发）：请使用 https://"
    ),
}

_CONVERSATIONS: dict[str, str] = {
    "you do not serve session {session!r} right now": "您现在没有接待会话 {session}",
    "the session is neither queued nor served": "该会话既不在排队，也没有客服接待",
    "the agent queue is unavailable; try again": "队列暂时不可用，请稍后重试",
    "live conversations are not available here": "此部署不提供进行中会话的操作",
    "open the agent websocket (/ws/agent) before going online": (
        "上线前请先打开客服 websocket（/ws/agent）"
    ),
    "this flow has no survey after the service; end it instead": (
        "这个流程在服务后没有满意度评价，请直接结束会话"
    ),
    # the agent's pinned and muted conversations (agent_marks)
    "accept session {session!r} before you pin or mute it": (
        "请先接入会话 {session}，再置顶或设为免打扰"
    ),
    "you have not served session {session!r}: "
    "you may pin or mute only the conversations you serve or served": (
        "您没有接待过会话 {session}：只能置顶或免打扰您正在接待或接待过的会话"
    ),
    "give 'pinned', 'muted' or both": "请给出 'pinned'、'muted' 或两者",
    "must be true or false": "必须是 true 或 false",
    "'text' must not be blank": "'text' 不能为空",
    "the message contains the forbidden word {words}": "消息含有违禁词 {words}",
    "give exactly one of 'group' or 'agent'": "'group' 和 'agent' 必须二选一",
    "give exactly one of group or agent": "group 和 agent 必须二选一",
    "site {site!r} does not transfer to group {group!r}; its groups: {groups}": (
        "站点 {site} 不能转接到分组 {group}；它的分组：{groups}"
    ),
    "transfer at most {limit} conversations at once ({given} given)": (
        "一次最多转接 {limit} 个会话（现有 {given} 个）"
    ),
    "start must not be after end": "开始时间不能晚于结束时间",
    "end is too early for a 30-day range": "结束时间太早，超出了 30 天的范围",
    "the search text must not be only blanks": "搜索文字不能只有空白",
    "channel must be web, webhook or webhook:<key>, not {value!r}": (
        "渠道（channel）必须是 web、webhook 或 webhook:<渠道 key>，而不是 {value}"
    ),
    "{name} must be one of {allowed}, not {value!r}": "{name} 必须是 {allowed} 之一，而不是 {value}",
    "{name} must be an ISO date (2026-11-23) or datetime (2026-11-23T10:00:00+08:00)": (
        "{name} 必须是 ISO 日期（2026-11-23）或日期时间（2026-11-23T10:00:00+08:00）"
    ),
    "unknown time zone {zone!r}; use an IANA name like Asia/Taipei": (
        "未知的时区 {zone}：请使用 IANA 名称，如 Asia/Taipei"
    ),
    "this account may not view records": "此账号没有查看服务记录的权限",
    "{total} conversations match; a Word export holds at most {limit}: "
    "narrow the range or export Excel": (
        "有 {total} 个会话符合条件，Word 导出最多 {limit} 个：请缩小范围或导出 Excel"
    ),
    "only an agent serving this conversation or with records:edit may edit its visitor": (
        "只有正在接待此会话的客服或有服务记录编辑权限的账号才能修改它的访客资料"
    ),
    "only an agent serving this conversation or with tags:edit may tag its visitor": (
        "只有正在接待此会话的客服或有标签编辑权限的账号才能给它的访客打标签"
    ),
    "visitor {visitor!r} is not blacklisted": "访客 {visitor} 不在黑名单中",
    "not an email address (name@example.com)": "不是邮箱地址（name@example.com）",
    "a visitor holds at most one tag of a single-choice group": "单选标签组中一个访客最多有一个标签",
    "a tag name appears twice": "标签名称重复",
    "a tag group named {name!r} already exists": "已有名为 {name} 的标签组",
    "a tag named {name!r} in this group already exists": "该组中已有名为 {name} 的标签",
    "some visitors hold several tags of this group; untag first": (
        "有访客同时拥有该组的多个标签，请先去掉多余的标签"
    ),
    "a word must not be blank": "词不能为空",
    "at most {limit} characters (this one has {length})": "最多 {limit} 个字符（现有 {length} 个）",
    # what a client reads outside a problem: the agent websocket's error frames, a batch's
    # failed[].detail, a quick-reply import's errors[].message
    "the token is invalid or has expired": "令牌无效或已过期",
    "you do not serve session {session!r}": "您没有接待会话 {session}",
    "no such conversation": "会话不存在",
    "close the conversation before deleting it": "请先结束会话再删除",
    "close the visitor's conversations before erasing it": "请先结束该访客的会话再删除其数据",
    "at most {limit} rows are imported at once; stopped": "一次最多导入 {limit} 行，已停止",
    "category is longer than {limit} characters": "组名超过 {limit} 个字",
    "title is longer than {limit} characters": "标题超过 {limit} 个字",
    "content is longer than {limit} characters": "内容超过 {limit} 个字",
    "title is required": "标题不能为空",
    "content is required": "内容不能为空",
    "the same category and title as row {row}": "组名和标题与第 {row} 行相同",
}

_QUICK_REPLIES: dict[str, str] = {
    "send the file itself as the request body, not a form": "请把文件本身作为请求体发送，而不是表单",
    "the file is larger than 2 MB": "文件超过 2 MB",
    "the file is empty": "文件是空的",
    "old .xls files are not read; save as .xlsx": "不支持旧的 .xls 文件，请另存为 .xlsx",
    "the file is neither CSV text nor XLSX": "文件既不是 CSV 文本，也不是 XLSX",
    "only .csv and .xlsx files are imported": "只能导入 .csv 和 .xlsx 文件",
    "the file is named .{suffix} but its content is {kind}": (
        "文件名是 .{suffix}，但内容是 {kind}"
    ),
    "the file is a damaged zip": "文件是损坏的 zip",
    "the zip is not an XLSX workbook": "该 zip 不是 XLSX 工作簿",
    "the workbook unpacks to more than 50 MB": "工作簿解压后超过 50 MB",
    "the CSV is neither UTF-8 nor GB18030 text": "CSV 既不是 UTF-8 文本，也不是 GB18030 文本",
    "the CSV cannot be read: {why}": "无法读取 CSV：{why}",
    "the workbook cannot be read: {why}": "无法读取工作簿：{why}",
    "row 1 must name the columns; missing {columns} "
    "(expected 组名/category, 标题/title, 内容/content)": (
        "第 1 行必须是表头；缺少 {columns}（应为 组名/category、标题/title、内容/content）"
    ),
}

_FLOWS: dict[str, str] = {
    # chatflow export-config (engine/configexport.py)
    "the database's deployment would not read back as chatflow.yaml ({said}); "
    "mend it in the console and export again": (
        "数据库中的部署无法导出为可读回的 chatflow.yaml（{said}）；请在管理后台修正后再导出"
    ),
    "send the flow as text/yaml, or as application/json "
    '{{"yaml": ..., "note": ...}} or {{"document": ..., "note": ...}}': (
        "请以 text/yaml 发送流程，或以 application/json 发送 "
        '{{"yaml": ..., "note": ...}} 或 {{"document": ..., "note": ...}}'
    ),
    "a flow is at most {limit} bytes": "流程最多 {limit} 字节",
    "the document is {size} bytes as YAML; a flow is at most {limit}": (
        "该文档转成 YAML 有 {size} 字节，流程最多 {limit} 字节"
    ),
    "the body is not UTF-8 (byte {at})": "请求体不是 UTF-8（第 {at} 字节）",
    "flow {flow!r} has {count} error{s}; nothing was saved": "流程 {flow} 有 {count} 个错误，未保存",
    "the document must be a JSON object (the flow as data), not {kind}": (
        "document 必须是 JSON 对象（流程的数据），而不是{kind!t}"
    ),
    'send exactly one of "yaml" (the flow text) and "document" (the flow as JSON)': (
        '"yaml"（流程文本）和 "document"（JSON 形式的流程）必须二选一'
    ),
    '"base" goes with "document" (the version the document was edited from); '
    '"yaml" is stored as it is': (
        '"base" 只能与 "document" 一起使用（document 编辑自的版本）；"yaml" 按原样保存'
    ),
    'flow {flow!r} has no version {version} to write the document onto; "base" is the version '
    "the document was edited from (it may have been deleted: open the flow again)": (
        '流程 {flow} 没有可写入该文档的版本 {version}："base" 是文档编辑自的版本'
        "（它可能已被删除：请重新打开流程）"
    ),
    "flow {flow!r}: {message}": "流程 {flow}：{message!t}",
    "flow {flow!r} still has {count} running conversation{s}; they would finish on their "
    "version, but a flow is deleted only when nothing uses it. Close them "
    "(POST /api/v1/records/batch/close) or wait until they end": (
        "流程 {flow} 还有 {count} 个进行中的会话；它们会在各自的版本上结束，但只有没有任何使用时"
        "才能删除流程。请先结束它们（POST /api/v1/records/batch/close），或等它们结束"
    ),
    "flow {flow!r} is still run by the site{s} {sites}; point them at another flow first "
    "(PATCH /api/v1/admin/sites/{{key}})": (
        "流程 {flow} 仍被站点 {sites} 使用：请先让它们改用其他流程"
        "（PATCH /api/v1/admin/sites/{{key}}）"
    ),
    "flow {flow!r} is run by {count} site{s}": "流程 {flow} 仍被 {count} 个站点使用",
    "these steps cannot be tried": "这些步骤无法试运行",
    # why a try's steps are refused (engine/testing/trial.py refusals, the try's errors[])
    "a try plays at most {limit} steps, not {count}": "一次试运行最多 {limit} 步，而不是 {count} 步",
    "'{kind}' checks the flow, and a try only plays what the visitor, the agents and the clock "
    "do ({inputs}); save the try as a test to check it": (
        "'{kind}' 是对流程的检查，试运行只演示访客、客服和时间的动作（{inputs}）；"
        "请把试运行保存为测试来检查它"
    ),
    "'{kind}: false' does nothing; send true or leave it out": (
        "'{kind}: false' 不起作用；请发送 true 或去掉它"
    ),
    "the waits add up to {seconds} seconds here; a try moves the clock at most {limit} seconds "
    "(30 days)": "等待到这里累计 {seconds} 秒；一次试运行最多把时间推进 {limit} 秒（30 天）",
    "NaN and Infinity are not JSON numbers": "NaN 和 Infinity 不是 JSON 数字",
    "'opening' must not be blank: write the visitor's first message, or leave 'opening' out to "
    "start the flow on its own": (
        "'opening'（开场消息）不能为空：请写访客的第一条消息，或去掉 'opening' 让流程自行开始"
    ),
    "no flow {flow!r}": "流程 {flow} 不存在",
    "flow {flow!r} has no version {version}": "流程 {flow} 没有版本 {version}",
    "flow version {version!r} is not in the store": "存储中没有流程版本 {version}",
    "no version of this flow was published": "这个流程还没有发布过版本",
    "version {version} changed while it was being published; reload and retry": (
        "版本 {version} 在发布时被修改了，请重新加载后再试"
    ),
    "version {version} changed while it was being deleted; reload and retry": (
        "版本 {version} 在删除时被修改了，请重新加载后再试"
    ),
    "version {version} is the published version: new sessions start on it. "
    "Publish another version first, or delete the whole flow": (
        "版本 {version} 是已发布的版本，新会话从它开始。请先发布其他版本，或删除整个流程"
    ),
    "version {version} is {status}: it was published once, and published versions stay as "
    "the flow's history (rollback, diff, what past conversations ran). Only drafts can be "
    "deleted; delete the whole flow to remove its history": (
        "版本 {version} 已{status!t}：它曾经发布过，发布过的版本会作为流程的历史保留"
        "（回滚、比较、过去的会话运行的版本）。只有草稿可以删除；删除整个流程才能去掉它的历史"
    ),
    "the published version of flow {flow!r} kept changing; retry": (
        "流程 {flow} 的已发布版本一直在变化，请重试"
    ),
    "another change to this flow was saved at the same time; reload and retry": (
        "这个流程同时保存了另一处修改，请重新加载后再试"
    ),
    "{source} is not a valid flow": "{source} 不是有效的流程",
    "{source} is not a valid deployment config": "{source} 不是有效的部署配置",
    "{source} is larger than {limit} bytes": "{source} 超过 {limit} 字节",
    "{source} is too large": "{source} 太大",
    "cannot read {source}": "无法读取 {source}",
}

_RUNTIME: dict[str, str] = {
    "session {session!r} kept changing; gave up after {tries} tries": (
        "会话 {session} 一直在变化，尝试 {tries} 次后放弃"
    ),
    "session {session!r} already exists": "会话 {session} 已存在",
    "session {session!r} changed: expected version {expected}, found {found}": (
        "会话 {session} 已被修改：应为版本 {expected}，实际为 {found}"
    ),
    "session {session!r} changed: expected version {expected}": (
        "会话 {session} 已被修改：应为版本 {expected}"
    ),
    "one {kind} event passed through {limit} nodes without waiting for input: {shown} "
    "(nodes visited: {visited})": (
        "一个 {kind} 事件连续经过了 {limit} 个节点而没有等待输入：{shown}（经过的节点：{visited}）"
    ),
    "node {node!r} does not exist in version {version}": "版本 {version} 中没有节点 {node}",
    "{type} node's {hook}() returned {returned}, not an Outcome": (
        "{type} 节点的 {hook}() 返回了 {returned}，而不是 Outcome"
    ),
    "{type} node failed in {hook}(): {error}": "{type} 节点在 {hook}() 中出错：{error}",
    "unknown effect {name}": "未知的效果 {name}",
    "template does not parse: {why}": "模板无法解析：{why}",
    "template failed: {why}": "模板执行失败：{why}",
    "expression does not parse: {why}": "表达式无法解析：{why}",
    "expression failed: {why}": "表达式执行失败：{why}",
    # the deployment, when it starts
    "webhook channel secrets are missing": "缺少 webhook 渠道的密钥",
    "agent passwords are missing": "缺少客服的密码",
    "agent passwords are too weak": "客服的密码强度不够",
    "agent passwords are missing or too weak": "客服的密码缺少或强度不够",
    "cannot use Redis at {url}: {why}": "无法使用 Redis（{url}）：{why}",
    "Redis key {key} does not hold a visitor-token secret": "Redis 键 {key} 中没有访客令牌密钥",
    "the visitor token secret must be at least 16 bytes": "访客令牌密钥至少需要 16 字节",
}

_ROUTING: dict[str, str] = {
    "Unknown group {group!r} in merchant {merchant!r}. Available groups: {known}": (
        "商户 {merchant} 中没有分组 {group}。可用的分组：{known}"
    ),
    "Unknown agent {agent!r} (not logged in, or of another merchant)": (
        "客服 {agent} 不存在（未登录，或属于其他商户）"
    ),
    "Session {session!r} is neither queued nor served": "会话 {session} 既不在排队，也没有客服接待",
    "Session {session!r} is not ringing for agent {agent!r}": "会话 {session} 没有在向客服 {agent} 来电",
    "Session {session!r} is not served by agent {agent!r}": "会话 {session} 不是由客服 {agent} 接待",
    "Session {session!r} is not served by no agent": "会话 {session} 没有客服接待",
    "Agent {agent!r} cannot take the session: {reason}": "客服 {agent} 现在无法接待（{reason!t}）",
    "Agent {agent!r} is the only agent of session {session!r}; "
    "end the service or transfer it instead": (
        "客服 {agent} 是会话 {session} 唯一的客服：请结束服务或转接"
    ),
    "Agent id {agent!r} belongs to another merchant": "客服 {agent} 属于其他商户",
    "Session {session!r} is already with group {group!r}; transfer it instead": (
        "会话 {session} 已在分组 {group}，请改用转接"
    ),
    "Give exactly one of to_group or to_agent": "to_group 和 to_agent 必须二选一",
    "Agent {agent!r} already has session {session!r}": "客服 {agent} 已在接待会话 {session}",
    "the shared queue is unreachable: {why}": "无法连接共享队列：{why}",
    "the shared queue did not answer in time": "共享队列没有及时响应",
    "the queue snapshot in {key} is unreadable": "{key} 中的队列快照无法读取",
    "the worker is stopping": "工作进程正在停止",
}

_CHANNELS: dict[str, str] = {
    # the visitor channel (problems of its REST calls; the widget words them by code)
    "the site's flow is not published": "该站点的流程还没有发布",
    "too many new sessions": "新会话太多",
    "no site {site!r}": "站点 {site} 不存在",
    "this site no longer takes conversations": "该站点已不再接受会话",
    "this page may not open the chat": "此页面不能打开聊天",
    "origin not allowed": "来源不被允许",
    "the visitor token is not valid": "访客令牌无效",
    "send 'Authorization: Bearer <visitor_token>'": "请发送 'Authorization: Bearer <visitor_token>'",
    "the session is gone": "会话已不存在",
    "the conversation has ended": "会话已结束",
    "too many messages; wait {seconds} s": "消息太频繁，请等待 {seconds} 秒",
    "a frame may be at most {limit} bytes": "一帧最多 {limit} 字节",
    "the frame is not valid JSON": "该帧不是有效的 JSON",
    "a frame must be a JSON object with a 'type'": "帧必须是带有 'type' 的 JSON 对象",
    "'id' must be a string of at most {limit} characters": "'id' 必须是最多 {limit} 个字符的字符串",
    "'text' must be a non-empty string": "'text' 必须是非空字符串",
    "a message may be at most {limit} characters": "消息最多 {limit} 个字",
    "'value' must be the label of an option": "'value' 必须是某个选项的文字",
    "'score' must be a whole number from 1 to 10": "'score' 必须是 1 到 10 的整数",
    "unknown frame type {kind!r}; expected one of: {known}": "未知的帧类型 {kind}；应为：{known}",
    "not a URL": "不是网址",
    "must be an http(s) URL": "必须是 http(s) 网址",
    "must not hold spaces or control characters": "不能包含空格或控制字符",
    # images sent by a visitor
    "send each image in a form field named 'file'": "请把每张图片放在名为 'file' 的表单字段中",
    "each 'id' is one per file, 1-{limit} visible characters": (
        "每个文件一个 'id'，为 1-{limit} 个可见字符"
    ),
    "only JPEG, PNG, GIF and WebP images are accepted; nothing was stored": (
        "只接受 JPEG、PNG、GIF 和 WebP 图片，未保存任何图片"
    ),
    "the images could not be stored, so none was sent; send them again": (
        "图片无法保存，都没有发送，请重新发送"
    ),
    "the image could not be delivered": "图片无法送达",
    "too many images": "图片太多",
    "no such image": "图片不存在",
    "not an image id": "不是图片 ID",
    "the request is larger than any upload": "请求超过了上传的上限",
    "send the images as multipart/form-data": "请以 multipart/form-data 发送图片",
    "the multipart boundary is missing or invalid": "multipart 分隔符缺失或无效",
    "no multipart boundary in the body": "请求体中没有 multipart 分隔符",
    "garbage after a multipart boundary": "multipart 分隔符后有多余内容",
    "a part's headers are too large": "某个部分的头部太大",
    "a part header is malformed": "某个部分的头部格式错误",
    "a part has no form-data name": "某个部分没有 form-data 名称",
    "at most {limit} images per request": "每次请求最多 {limit} 张图片",
    "too many form fields": "表单字段太多",
    "an image may be at most {limit} MB": "图片最多 {limit} MB",
    "a form field may be at most {limit} bytes": "表单字段最多 {limit} 字节",
    "the multipart body ended before its last boundary": "multipart 请求体在最后一个分隔符之前结束",
    # the webhook channel
    "no channel {key!r}": "渠道 {key} 不存在",
    "no delivery {id}": "投递 {id} 不存在",
    "delivery {id} was delivered; only a failed delivery can be sent again": (
        "投递 {id} 已送达：只有失败的投递才能重新发送"
    ),
    "delivery {id} is pending; only a failed delivery can be sent again": (
        "投递 {id} 正在等待发送：只有失败的投递才能重新发送"
    ),
    "this channel takes no messages": "该渠道不接收消息",
    "the X-Chatflow-Signature header is missing": "缺少 X-Chatflow-Signature 头",
    "X-Chatflow-Signature must look like t=<unix>,v1=<hex>": (
        "X-Chatflow-Signature 的格式应为 t=<unix>,v1=<hex>"
    ),
    "X-Chatflow-Signature: t must be UNIX seconds": "X-Chatflow-Signature：t 必须是 UNIX 秒数",
    "the signature's timestamp is more than {limit} s from the server's clock": (
        "签名的时间戳与服务器时钟相差超过 {limit} 秒"
    ),
    "the signature does not match the body": "签名与请求体不符",
    "required for a {kind!r} message": "{kind} 消息必须有此项",
    "send the message as JSON (Content-Type: application/json)": (
        "请以 JSON 发送消息（Content-Type: application/json）"
    ),
    "the channel's site {site!r} is disabled: it takes no new conversations": (
        "该渠道的站点 {site} 已停用，不再接受新会话"
    ),
    "the flow failed on this message": "流程处理这条消息时出错",
    "the conversation is being changed; retry": "会话正在变更，请重试",
    "the channel's site {site!r} is gone": "该渠道的站点 {site} 已不存在",
    "this user may not be served": "该用户不能被接待",
    "a message may be at most {limit} bytes": "消息最多 {limit} 字节",
    # the visitor captcha (channels/captcha.py, captcha_images.py) and its background's routes
    "the captcha is not available": "验证码暂不可用",
    "solve the captcha first": "请先完成验证码",
    "the captcha was not solved; try a new one": "验证未通过，请重试新的验证码",
    "too many captchas": "验证码请求太多",
    "this site asks no captcha": "该站点未开启验证码",
    "the captcha secret must be at least {n} bytes": "验证码密钥至少需要 {n} 字节",
    "the image may be at most {limit} bytes": "图片最多 {limit} 字节",
    "the image must be a JPEG (JPG/JPEG)": "上传图片只能是 JPG/JPEG 格式",
    "the image must be {w} x {h} pixels, or larger at 2:1 (this one is {width} x {height})": (
        "图片须为 {w} x {h} 像素，或更大的 2:1 图片（这张是 {width} x {height}）"
    ),
    "site {key!r} has no captcha image of its own": "站点 {key} 没有上传自己的验证码图片",
}

ZH_CN: dict[str, str] = {
    **_REQUESTS,
    **_ACCOUNTS,
    **_SITES_AND_GROUPS,
    **_CONVERSATIONS,
    **_QUICK_REPLIES,
    **_FLOWS,
    **_RUNTIME,
    **_ROUTING,
    **_CHANNELS,
}
"""English template -> zh-CN template."""
