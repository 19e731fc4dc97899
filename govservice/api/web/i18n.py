"""The pages' two languages: Chinese (the department's, the default) and English.

The language is ``?lang=zh|en`` when given, else the first of Chinese or English the browser's
``Accept-Language`` prefers, else Chinese. Every text a page prints is looked up here by key.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")


def choose_language(query: str | None, accept_language: str) -> Lang:
    if query in LANGS:
        return "en" if query == "en" else "zh"
    ranked: list[tuple[float, int, Lang]] = []
    for position, part in enumerate(accept_language.split(",")[:20]):
        tag, *params = (piece.strip() for piece in part.split(";"))
        primary = tag.split("-")[0].lower()
        if primary not in LANGS:
            continue
        q = next((p[2:] for p in params if p.startswith("q=")), "1")
        try:
            weight = float(q)
        except ValueError:
            continue
        if weight > 0:
            ranked.append((-weight, position, "en" if primary == "en" else "zh"))
    return min(ranked)[2] if ranked else "zh"


_TEXTS: dict[str, tuple[str, str]] = {
    # key: (Chinese, English)
    "site": ("消防救援政务服务", "Fire & Rescue Government Services"),
    "skip": ("跳到主要内容", "Skip to main content"),
    "nav": ("栏目", "Sections"),
    "nav.verify": ("证照核验", "Verify a licence"),
    "nav.board": ("公开晾晒", "Public board"),
    "nav.guide": ("办事指南", "Service guides"),
    "switch": ("English", "中文"),
    "footer": (
        "本页内容与公开接口一致；机器核验请使用 JSON 与公钥（JWKS）。",
        "This page shows what the public API shows; machines verify with the JSON and the keys (JWKS).",
    ),
    ":": ("：", ": "),
    ";": ("；", "; "),
    ",": ("，", ", "),
    "(": ("（", " ("),
    ")": ("）", ")"),
    # verification
    "verify.title": ("电子证照核验", "E-licence verification"),
    "verify.intro": (
        "输入证照编号，或扫描证照上的二维码。",
        "Enter the licence number, or scan the QR code on the licence.",
    ),
    "verify.number": ("证照编号", "Licence number"),
    "verify.submit": ("核验", "Verify"),
    "status.valid": ("有效", "Valid"),
    "status.suspended": ("暂停", "Suspended"),
    "status.revoked": ("已撤销", "Revoked"),
    "status.expired": ("已过期", "Expired"),
    "status.valid.note": ("本证照现行有效。", "This licence is in force."),
    "status.suspended.note": (
        "本证照已被暂停，暂停期间不得依此证照从事相关活动。",
        "This licence is suspended.",
    ),
    "status.revoked.note": (
        "本证照已被撤销，不再有效。",
        "This licence has been revoked and is no longer valid.",
    ),
    "status.expired.note": ("本证照已超过有效期。", "This licence is past its validity."),
    "field.title": ("证照名称", "Licence"),
    "field.holder": ("持证主体", "Holder"),
    "field.uscc": ("统一社会信用代码", "Unified social credit code"),
    "field.matter": ("许可事项", "Matter"),
    "field.issuer": ("发证单位", "Issued by"),
    "field.issued_on": ("发证日期", "Issued on"),
    "field.validity": ("有效期", "Validity"),
    "field.until_revoked": ("长期有效（至撤销）", "until revoked"),
    "field.status_change": ("状态变更", "Status change"),
    "field.reason": ("原因", "Reason"),
    "sig.title": ("电子签名", "Signature"),
    "sig.valid": ("签名有效", "Signature valid"),
    "sig.invalid": ("签名无效", "Signature NOT valid"),
    "sig.by": ("签名方 ", "signed by "),
    "sig.on": ("签发于 ", "on "),
    "sig.key": ("密钥标识", "key"),
    "sig.checked": ("由本服务器使用公开密钥核验。", "Checked by this server with the published key."),
    "machine": ("机器核验", "For machines"),
    "machine.json": ("证照数据（JSON）", "Licence data (JSON)"),
    "machine.jwks": ("公开密钥（JWKS）", "Public keys (JWKS)"),
    "notfound.licence": ("未找到该证照", "No such licence"),
    "notfound.licence.detail": (
        "没有编号为 {number} 的电子证照。请核对编号，或联系发证单位。",
        "There is no e-licence numbered {number}. Check the number, or ask the issuing unit.",
    ),
    "notfound.guide": ("未找到该事项", "No such matter"),
    "notfound.guide.detail": ("事项目录中没有编码为 {code} 的事项。", "The catalogue has no matter {code}."),
    "error.title": ("请求有误", "Bad request"),
    "error.detail": (
        "请求中有无效的内容，请检查后重试。",
        "Something in the request is not valid; check it and try again.",
    ),
    "back.verify": ("重新核验", "Verify another licence"),
    "back.board": ("返回公开晾晒", "Back to the public board"),
    "back.guide": ("返回办事指南", "Back to the service guides"),
    # board
    "board.title": ("政务服务公开晾晒", "Public board"),
    "board.intro": (
        "各单位在所选期间的办理时效、满意度、差评整改与首违不罚情况。每项指标均给出分子与分母。",
        "Per unit over the chosen period: decisions on time, satisfaction, bad reviews rectified and "
        "first-offense waivers granted. "
        "Every figure shows its numerator and denominator.",
    ),
    "board.period": ("统计期间", "Period"),
    "board.from": ("起始日期", "From"),
    "board.to": ("截止日期", "To"),
    "board.show": ("查看", "Show"),
    "board.this_year": ("本年度", "This year"),
    "board.last_year": ("上一年度", "Last year"),
    "board.csv": ("下载数据（CSV）", "Download the figures (CSV)"),
    "board.empty": ("该期间没有可统计的记录。", "Nothing was recorded in this period."),
    "board.unit": ("单位", "Unit"),
    "board.numerator": ("分子", "Numerator"),
    "board.denominator": ("分母", "Denominator"),
    "board.rate": ("比率", "Rate"),
    "board.definition": ("口径", "Definition"),
    "board.not_shown": ("暂未公开的指标", "Figures not on the board yet"),
    "board.chart": ("图：{figure}（按单位）", "Chart: {figure} per unit"),
    "figure.decisionsOnTimePromised": ("按承诺时限办结率", "Decisions within the promised limit"),
    "figure.decisionsOnTimePromised.def": (
        "期间内作出决定的申请中，实际用时（工作日，扣除暂停时间）不超过承诺时限的件数 ÷ 作出决定的件数。",
        "Applications decided in the period whose clock (working days, paused time excluded) used no more "
        "than the promised limit, over all decided.",
    ),
    "figure.decisionsOnTimeStatutory": ("按法定时限办结率", "Decisions within the statutory limit"),
    "figure.decisionsOnTimeStatutory.def": (
        "期间内作出决定的申请中，实际用时不超过法定时限（经批准延期的按延长后时限）的件数 ÷ 作出决定的件数。",
        "Applications decided in the period within the statutory limit (the extended one where an "
        "extension was approved), over all decided.",
    ),
    "figure.satisfaction": ("满意率", "Satisfaction"),
    "figure.satisfaction.def": (
        "期间内办结的申请中，评价 3 星及以上的件数 ÷ 评价件数；评价期满未评价的按 3 星计，"
        "经申诉认定为恶意差评的不计入。",
        "Ratings of 3 stars or more over all ratings, for applications concluded in the period; an "
        "application left unrated past its rating window counts as 3; a rating set aside on appeal "
        "counts in neither.",
    ),
    "figure.badReviewsRectified": ("差评整改率", "Bad reviews rectified"),
    "figure.badReviewsRectified.def": (
        "期间内因差评开具的整改工单中，已整改完成的件数 ÷ 开具件数（申诉成立的除外）。",
        "Work orders opened in the period for bad reviews that ended rectified, over all opened "
        "except those whose appeal was upheld.",
    ),
    "figure.waiversGranted": ("首违不罚适用率", "First-offense waivers granted"),
    "figure.waiversGranted.def": (
        "期间内作出决定的违法案件中，依法首违不罚（首次违法、危害后果轻微并及时改正）的件数"
        " ÷ 作出决定的件数。",
        "Violation cases decided in the period without a penalty as first offenses (first, minor harm, "
        "corrected in time), over all violation cases decided in the period.",
    ),
    # guides
    "guide.title": ("办事指南", "Service guides"),
    "guide.intro": (
        "本部门办理的全部事项。已取消或调整的事项仍列出，并注明替代办理方式。",
        "Every matter this department handles. Cancelled and adjusted matters stay listed, with what "
        "replaces them.",
    ),
    "guide.code": ("事项编码", "Code"),
    "guide.kind": ("事项类型", "Kind"),
    "guide.unit": ("实施单位", "Responsible unit"),
    "guide.licence": ("办理结果", "Result"),
    "guide.conditions": ("申请条件", "Who may apply"),
    "guide.no_conditions": ("无特别条件。", "No special conditions."),
    "guide.materials": ("申请材料", "Materials"),
    "guide.no_materials": ("无需提交材料。", "No materials to submit."),
    "guide.material": ("材料名称", "Material"),
    "guide.material_kind": ("类别", "Kind"),
    "guide.formats": ("格式", "Formats"),
    "guide.shared": ("部门自行获取，无需提交", "fetched by the department itself: do not upload"),
    "guide.only_routes": ("仅适用于", "only for"),
    "guide.limits": ("办理时限", "Time limits"),
    "guide.statutory": ("法定时限", "Statutory limit"),
    "guide.promised": ("承诺时限", "Promised limit"),
    "guide.days": ("{n} 个工作日", "{n} working days"),
    "guide.supplement": ("容缺材料补正期限", "Deadline for tolerated materials"),
    "guide.visits": ("跑动次数", "Visits"),
    "guide.visits.0": ("零跑动（全程网办）", "None: entirely online"),
    "guide.visits.1": ("最多跑一次", "At most one visit"),
    "guide.fees": ("收费", "Fees"),
    "guide.no_fees": ("不收费", "Free of charge"),
    "guide.yuan": ("{amount} 元", "CNY {amount}"),
    "guide.basis": ("设定依据", "Legal basis"),
    "guide.routes": ("办理方式", "Routes offered"),
    "guide.json": ("本事项数据（JSON）", "This matter as JSON"),
    "guide.changed": ("事项变更", "Change to this matter"),
    "guide.effective": ("生效日期", "Effective"),
    "guide.replacement": ("替代办理", "Use instead"),
    "guide.department": ("办理部门", "Handled by"),
    "kind.licensing": ("行政许可", "Administrative licence"),
    "kind.filing": ("备案", "Filing"),
    "kind.service": ("公共服务", "Public service"),
    "matstatus.active": ("在办", "Active"),
    "matstatus.adjusted": ("已调整", "Adjusted"),
    "matstatus.cancelled": ("已取消", "Cancelled"),
    "material.key": ("主要材料", "Key material"),
    "material.tolerable": ("可容缺", "Tolerable (may follow later)"),
    "route.standard": ("一般程序", "Standard procedure"),
    "route.tolerant": ("容缺受理", "Acceptance with tolerated deficiencies"),
    "route.commitment": ("告知承诺", "Permit on commitment"),
}


def text(lang: Lang, key: str, **values: object) -> str:
    """The text ``key`` in ``lang``, with ``{name}`` placeholders filled."""
    zh, en = _TEXTS[key]
    template = en if lang == "en" else zh
    return template.format(**values) if values else template
