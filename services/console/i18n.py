"""The console's words in zh-CN (the default) and English: one dict of messages per language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

LANGUAGES = ("zh", "en")
DEFAULT = "zh"
HTML_LANG = {"zh": "zh-CN", "en": "en"}

_ZH: dict[str, str] = {
    "app.title": "放心工程 · 食品安全监管控制台",
    "app.short": "放心控制台",
    "nav.cases": "我的案件", "nav.lot": "批次追溯", "nav.appraisal": "评议考核",
    "nav.bulletin": "通报", "nav.signout": "退出", "nav.lang": "English",
    "signin.title": "登录", "signin.token": "单位令牌", "signin.submit": "登录",
    "signin.help": "请输入本单位的访问令牌（与接口使用的令牌相同）。",
    "signin.invalid": "令牌无效，请核对后重试。",
    "signin.as": "当前单位", "role.office": "区食安办", "role.unit": "责任单位",
    "role.auditor": "审计（只读）",
    "error.title": "出错了", "error.unavailable": "服务暂时无法访问：{detail}",
    "error.refused": "接口拒绝了请求（{code}）：{message}",
    "cases.title": "我的案件", "cases.view": "视图", "cases.view.overdue": "已逾期",
    "cases.view.due_soon": "即将到期", "cases.view.escalated": "已升级",
    "cases.view.open": "全部在办", "cases.view.closed": "已办结",
    "cases.filter.action": "行动", "cases.filter.kind": "类别",
    "cases.filter.township": "乡（街道）", "cases.filter.any": "全部",
    "cases.filter.apply": "筛选", "cases.filter.reset": "重置",
    "cases.escalated.note": "逾期的时限依规则升级至{unit}。",
    "cases.due_soon.note": "{days} 个工作日内到期、尚未逾期的案件。",
    "cases.none": "没有符合条件的案件。",
    "cases.col.case": "案件", "cases.col.kind": "类别", "cases.col.action": "行动",
    "cases.col.lead": "牵头单位", "cases.col.township": "乡（街道）",
    "cases.col.state": "状态", "cases.col.due": "最近时限", "cases.col.left": "剩余",
    "cases.col.opened": "立案时间",
    "cases.left.days": "剩 {n} 个工作日", "cases.left.today": "今日到期",
    "cases.left.overdue": "逾期 {n} 个工作日", "cases.left.none": "—",
    "cases.badge.escalated": "已升级", "cases.badge.provisional": "暂定",
    "cases.page": "第 {page} 页", "cases.prev": "上一页", "cases.next": "下一页",
    "case.title": "案件 {id}", "case.summary": "概况", "case.kind": "类别",
    "case.state": "状态", "case.lead": "牵头单位", "case.owners": "责任单位",
    "case.township": "乡（街道）", "case.entity": "经营主体", "case.opened": "立案时间",
    "case.closed": "办结时间", "case.rule_set": "适用规则", "case.details": "事项",
    "case.deadlines": "办理时限", "case.timeline": "办理记录", "case.act": "办理",
    "case.no_commands": "当前状态下没有可办理的操作。",
    "case.auditor": "审计账号只读，不能办理案件。",
    "case.command": "操作", "case.reason": "法定事由", "case.reason.choose": "请选择事由",
    "case.submit": "提交", "case.done": "已办理：{command}。",
    "case.refused": "未能办理：{message}",
    "case.extend": "延长时限", "case.extend.deadline": "时限",
    "case.extend.approval": "批准文号", "case.pause.kind": "中止事由",
    "deadline.name": "时限", "deadline.budget": "期限", "deadline.started": "起算",
    "deadline.due": "届满", "deadline.status": "状态", "deadline.skips": "跳过的休息日",
    "deadline.escalated": "升级至", "deadline.met": "完成于",
    "deadline.status.running": "计时中", "deadline.status.met": "已完成",
    "deadline.status.stopped": "已停止", "deadline.status.overdue": "已逾期",
    "deadline.status.paused": "已中止计时", "deadline.provisional": "暂定（该年节假日未知）",
    "deadline.skips.count": "共 {n} 天", "deadline.skips.none": "无",
    "deadline.skips.na": "不跳过（非工作日期限）",
    "budget.working_days": "{n} 个工作日", "budget.calendar_days": "{n} 个自然日",
    "budget.hours": "{n} 小时", "budget.days": "{n} 日",
    "weekend": "周末",
    "timeline.when": "时间", "timeline.what": "事项", "timeline.who": "办理人",
    "timeline.change": "状态变化", "timeline.reason": "事由", "timeline.recorded": "记录于",
    "timeline.system": "系统",
    "event.case.opened": "立案", "event.case.advanced": "办理", "event.case.closed": "办结",
    "event.deadline.warned": "时限预警", "event.deadline.overdue": "逾期并升级",
    "event.deadline.extended": "延长时限", "event.clock.paused": "中止计时",
    "event.clock.resumed": "恢复计时", "event.deadline.recomputed": "重算时限",
    "lot.title": "批次 {lot}", "lot.search": "批次号", "lot.go": "追溯",
    "lot.search.help": "输入批次号（也可以是 GS1 数字链接或 EPC URN）。",
    "lot.graph": "上下游追溯图",
    "lot.graph.help": "左侧为上游（来源），右侧为下游（去向）；数字为追溯层级。",
    "lot.upstream": "上游", "lot.downstream": "下游", "lot.recipients": "收货主体",
    "lot.root": "追溯批次",
    "lot.more": "另有 {n} 个",
    "lot.scope": "召回范围（按乡街道）", "lot.scope.none": "没有下游主体。",
    "lot.scope.business": "主体", "lot.scope.quantity": "数量", "lot.scope.basis": "依据",
    "lot.scope.lot": "批次", "lot.scope.first": "首次", "lot.scope.total": "{n} 家",
    "lot.mismatches": "数量不符", "lot.mismatches.none": "未发现数量不符。",
    "lot.mismatch.kind": "类型", "lot.mismatch.from": "发货方", "lot.mismatch.to": "收货方",
    "lot.mismatch.shipped": "发货", "lot.mismatch.received": "收货",
    "lot.mismatch.difference": "差额",
    "lot.csv": "下载追溯表（CSV）", "lot.truncated": "追溯结果较多，只显示了第一页。",
    "basis.received": "收货记录", "basis.shipped": "发货记录",
    "mismatch.shipment_without_receipt": "有发货无收货",
    "mismatch.receipt_without_shipment": "有收货无发货",
    "mismatch.quantity_differs": "收发数量不一致",
    "entity.title": "经营主体档案", "entity.registration": "登记信息",
    "entity.name": "名称", "entity.kind": "业态", "entity.township": "乡（街道）",
    "entity.address": "地址", "entity.risk": "风险等级", "entity.registered": "登记时间",
    "entity.inspections": "监督检查", "entity.samplings": "抽检", "entity.complaints": "投诉举报",
    "entity.cases": "案件", "entity.record": "编号", "entity.at": "时间",
    "entity.result": "结果", "entity.details": "详情", "entity.none": "无记录。",
    "appraisal.title": "评议考核", "appraisal.period": "考核期",
    "appraisal.period.help": "如 2024、2024-Q2 或 2024-05",
    "appraisal.by": "统计口径", "appraisal.by.unit": "按单位", "appraisal.by.township": "按乡街道",
    "appraisal.by.action": "按行动", "appraisal.show": "查看",
    "appraisal.table": "考核指标", "appraisal.name": "名称", "appraisal.cases": "案件",
    "appraisal.closed_on_time": "按期办结率", "appraisal.overdue": "逾期率",
    "appraisal.complaints_on_time": "投诉按期率", "appraisal.samples": "抽检批次",
    "appraisal.unqualified": "不合格率", "appraisal.score": "综合得分",
    "appraisal.chart.on_time": "按期办结率",
    "appraisal.coverage": "学校食堂抽检覆盖率（{year} 年）",
    "appraisal.coverage.line": "目标线 {pct}",
    "appraisal.coverage.district": "全区", "appraisal.coverage.summary":
        "在册学校食堂 {registered} 家，已抽检 {sampled} 家，覆盖率 {coverage}。",
    "appraisal.coverage.meets": "达标", "appraisal.coverage.below": "未达标",
    "appraisal.summaries": "年度工作总结报送（{year} 年）",
    "appraisal.summaries.action": "行动", "appraisal.summaries.lead": "牵头单位",
    "appraisal.summaries.due": "截止", "appraisal.summaries.submitted": "报送时间",
    "appraisal.summaries.status": "情况",
    "summary.on_time": "按时", "summary.late": "逾期报送", "summary.pending": "未到期",
    "summary.missing": "逾期未报（无案件）", "summary.open": "未报送（案件在办）",
    "appraisal.ranking": "综合评分排名（{year} 年）", "appraisal.rank": "名次",
    "appraisal.unit": "单位", "appraisal.bulletin": "打印通报",
    "bulletin.title": "龙亭区食品安全放心工程建设攻坚行动评议考核通报（{period}）",
    "bulletin.print": "打印", "bulletin.generated": "生成时间：{at}（北京时间）",
    "bulletin.forbidden": "通报仅供区食安办和审计账号查看。",
    "bulletin.section.figures": "一、各乡（街道）主要指标",
    "bulletin.section.coverage": "二、学校食堂抽检覆盖率",
    "bulletin.section.ranking": "三、综合评分排名",
    "bulletin.section.summaries": "四、年度工作总结报送",
    "common.yes": "是", "common.no": "否", "common.none": "—", "common.back": "返回",
}

_EN: dict[str, str] = {
    "app.title": "Fangxin · food-safety supervision console",
    "app.short": "Fangxin console",
    "nav.cases": "My cases", "nav.lot": "Trace a lot", "nav.appraisal": "Appraisal",
    "nav.bulletin": "Bulletin", "nav.signout": "Sign out", "nav.lang": "中文",
    "signin.title": "Sign in", "signin.token": "Unit token", "signin.submit": "Sign in",
    "signin.help": "Enter your unit's access token (the same token the APIs take).",
    "signin.invalid": "That token is not valid; check it and try again.",
    "signin.as": "Signed in as", "role.office": "district office", "role.unit": "unit",
    "role.auditor": "auditor (read only)",
    "error.title": "Something went wrong", "error.unavailable": "A service is unavailable: "
    "{detail}",
    "error.refused": "The API refused the request ({code}): {message}",
    "cases.title": "My cases", "cases.view": "View", "cases.view.overdue": "Overdue",
    "cases.view.due_soon": "Due soon", "cases.view.escalated": "Escalated",
    "cases.view.open": "All open", "cases.view.closed": "Closed",
    "cases.filter.action": "Action", "cases.filter.kind": "Kind",
    "cases.filter.township": "Township", "cases.filter.any": "Any",
    "cases.filter.apply": "Filter", "cases.filter.reset": "Reset",
    "cases.escalated.note": "Overdue deadlines are escalated to {unit} by rule.",
    "cases.due_soon.note": "Open cases due within {days} working days, not yet overdue.",
    "cases.none": "No case matches.",
    "cases.col.case": "Case", "cases.col.kind": "Kind", "cases.col.action": "Action",
    "cases.col.lead": "Lead unit", "cases.col.township": "Township",
    "cases.col.state": "State", "cases.col.due": "Next deadline", "cases.col.left": "Left",
    "cases.col.opened": "Opened",
    "cases.left.days": "{n} working days left", "cases.left.today": "due today",
    "cases.left.overdue": "{n} working days overdue", "cases.left.none": "—",
    "cases.badge.escalated": "escalated", "cases.badge.provisional": "provisional",
    "cases.page": "Page {page}", "cases.prev": "Previous", "cases.next": "Next",
    "case.title": "Case {id}", "case.summary": "Summary", "case.kind": "Kind",
    "case.state": "State", "case.lead": "Lead unit", "case.owners": "Units",
    "case.township": "Township", "case.entity": "Business", "case.opened": "Opened",
    "case.closed": "Closed", "case.rule_set": "Rule set", "case.details": "Details",
    "case.deadlines": "Deadlines", "case.timeline": "History", "case.act": "Act on the case",
    "case.no_commands": "The case's state allows no command now.",
    "case.auditor": "Auditors read; they do not act.",
    "case.command": "Command", "case.reason": "Statutory reason",
    "case.reason.choose": "Choose a reason", "case.submit": "Submit",
    "case.done": "Done: {command}.", "case.refused": "Refused: {message}",
    "case.extend": "Extend a deadline", "case.extend.deadline": "Deadline",
    "case.extend.approval": "Approval reference", "case.pause.kind": "Why the clock stops",
    "deadline.name": "Deadline", "deadline.budget": "Limit", "deadline.started": "Started",
    "deadline.due": "Due", "deadline.status": "Status", "deadline.skips": "Rest days skipped",
    "deadline.escalated": "Escalated to", "deadline.met": "Met at",
    "deadline.status.running": "running", "deadline.status.met": "met",
    "deadline.status.stopped": "stopped", "deadline.status.overdue": "overdue",
    "deadline.status.paused": "clock stopped",
    "deadline.provisional": "provisional (the year's holidays are unknown)",
    "deadline.skips.count": "{n} days", "deadline.skips.none": "none",
    "deadline.skips.na": "none (not counted in working days)",
    "budget.working_days": "{n} working days", "budget.calendar_days": "{n} calendar days",
    "budget.hours": "{n} hours", "budget.days": "{n} days",
    "weekend": "weekend",
    "timeline.when": "When", "timeline.what": "What", "timeline.who": "By",
    "timeline.change": "State", "timeline.reason": "Reason", "timeline.recorded": "Recorded",
    "timeline.system": "system",
    "event.case.opened": "opened", "event.case.advanced": "acted on",
    "event.case.closed": "closed", "event.deadline.warned": "deadline warning",
    "event.deadline.overdue": "overdue, escalated", "event.deadline.extended": "extended",
    "event.clock.paused": "clock stopped", "event.clock.resumed": "clock resumed",
    "event.deadline.recomputed": "deadline recomputed",
    "lot.title": "Lot {lot}", "lot.search": "Lot code", "lot.go": "Trace",
    "lot.search.help": "A lot code (or a GS1 Digital Link or EPC URN).",
    "lot.graph": "Trace graph", "lot.graph.help": "Upstream (where it came from) on the left, "
    "downstream (where it went) on the right; numbers are trace depths.",
    "lot.upstream": "upstream", "lot.downstream": "downstream", "lot.recipients": "recipients",
    "lot.root": "traced lot",
    "lot.more": "{n} more",
    "lot.scope": "Recall scope by township", "lot.scope.none": "No downstream business.",
    "lot.scope.business": "Business", "lot.scope.quantity": "Quantity",
    "lot.scope.basis": "Basis", "lot.scope.lot": "Lot", "lot.scope.first": "First",
    "lot.scope.total": "{n} businesses",
    "lot.mismatches": "Quantity mismatches", "lot.mismatches.none": "No mismatch found.",
    "lot.mismatch.kind": "Kind", "lot.mismatch.from": "From", "lot.mismatch.to": "To",
    "lot.mismatch.shipped": "Shipped", "lot.mismatch.received": "Received",
    "lot.mismatch.difference": "Difference",
    "lot.csv": "Download the traceability spreadsheet (CSV)",
    "lot.truncated": "The trace is large; only its first page is shown.",
    "basis.received": "receipt", "basis.shipped": "shipment",
    "mismatch.shipment_without_receipt": "shipped, never received",
    "mismatch.receipt_without_shipment": "received, never shipped",
    "mismatch.quantity_differs": "quantities differ",
    "entity.title": "Business dossier", "entity.registration": "Registration",
    "entity.name": "Name", "entity.kind": "Kind", "entity.township": "Township",
    "entity.address": "Address", "entity.risk": "Risk grade", "entity.registered": "Registered",
    "entity.inspections": "Inspections", "entity.samplings": "Samples",
    "entity.complaints": "Complaints and reports", "entity.cases": "Cases",
    "entity.record": "Record", "entity.at": "When", "entity.result": "Result",
    "entity.details": "Details", "entity.none": "No record.",
    "appraisal.title": "Appraisal", "appraisal.period": "Period",
    "appraisal.period.help": "e.g. 2024, 2024-Q2 or 2024-05",
    "appraisal.by": "Rows", "appraisal.by.unit": "by unit", "appraisal.by.township":
    "by township", "appraisal.by.action": "by action", "appraisal.show": "Show",
    "appraisal.table": "Figures", "appraisal.name": "Name", "appraisal.cases": "Cases",
    "appraisal.closed_on_time": "Closed on time", "appraisal.overdue": "Overdue",
    "appraisal.complaints_on_time": "Complaints on time", "appraisal.samples": "Samples",
    "appraisal.unqualified": "Unqualified", "appraisal.score": "Score",
    "appraisal.chart.on_time": "Closed on time",
    "appraisal.coverage": "School canteen sampling coverage ({year})",
    "appraisal.coverage.line": "target {pct}",
    "appraisal.coverage.district": "District", "appraisal.coverage.summary":
        "{registered} registered school canteens, {sampled} sampled: {coverage}.",
    "appraisal.coverage.meets": "meets the target", "appraisal.coverage.below": "below target",
    "appraisal.summaries": "Annual summaries ({year})",
    "appraisal.summaries.action": "Action", "appraisal.summaries.lead": "Lead unit",
    "appraisal.summaries.due": "Due", "appraisal.summaries.submitted": "Submitted",
    "appraisal.summaries.status": "Status",
    "summary.on_time": "on time", "summary.late": "late", "summary.pending": "not yet due",
    "summary.missing": "missing (no case)", "summary.open": "not submitted (case open)",
    "appraisal.ranking": "Ranking by score ({year})", "appraisal.rank": "Rank",
    "appraisal.unit": "Unit", "appraisal.bulletin": "Printable bulletin",
    "bulletin.title": "Longting food-safety work plan appraisal bulletin ({period})",
    "bulletin.print": "Print", "bulletin.generated": "Generated {at} (China time)",
    "bulletin.forbidden": "The bulletin is for the district office and auditors.",
    "bulletin.section.figures": "1. Figures by township",
    "bulletin.section.coverage": "2. School canteen sampling coverage",
    "bulletin.section.ranking": "3. Ranking by score",
    "bulletin.section.summaries": "4. Annual summaries",
    "common.yes": "yes", "common.no": "no", "common.none": "—", "common.back": "Back",
}

_ZH_TERMS: dict[str, str] = {
    # case kinds
    "kind.SD": "不合格样品核查处置", "kind.RV": "召回核查", "kind.RC": "责令整改",
    "kind.IV": "立案调查", "kind.CP": "投诉", "kind.RP": "举报", "kind.AS": "年度工作总结",
    "kind.KA": "明厨亮灶告警",
    # commands
    "cmd.confirm_risk_control": "确认风险控制措施", "cmd.request_retest": "申请复检",
    "cmd.close_retest_window": "复检申请期届满", "cmd.accept_retest": "受理复检",
    "cmd.reject_retest": "不予复检", "cmd.assign_retest_lab": "确定复检机构",
    "cmd.record_retest_upheld": "复检维持原结论", "cmd.record_retest_overturned": "复检推翻原结论",
    "cmd.complete_disposal": "核查处置完毕", "cmd.confirm_recall_started": "确认已启动召回",
    "cmd.verify_recall": "核查召回完成", "cmd.record_not_held": "核实未持有该批次",
    "cmd.report_rectification": "报告整改情况", "cmd.verify_rectification": "整改复查通过",
    "cmd.record_rectification_failed": "整改复查未通过", "cmd.file_case": "立案",
    "cmd.decline_case": "不予立案", "cmd.decide_case": "作出处理决定",
    "cmd.accept_complaint": "受理投诉", "cmd.refuse_complaint": "不予受理",
    "cmd.record_agreement": "达成调解协议", "cmd.terminate_mediation": "终止调解",
    "cmd.notify_parties": "告知当事人", "cmd.file_report_case": "举报立案",
    "cmd.decline_report_case": "举报不予立案", "cmd.notify_reporter": "告知举报人",
    "cmd.submit_summary": "报送年度工作总结", "cmd.record_alerts_handled": "告警已处置",
    "cmd.extend_deadline": "延长时限", "cmd.pause_clock": "中止计时",
    "cmd.resume_clock": "恢复计时",
    # command arguments
    "arg.measures": "风险控制措施", "arg.lab": "复检机构", "arg.summary": "处置情况",
    "arg.quantity": "召回数量", "arg.note": "说明", "arg.decision": "处理决定",
    "arg.document_ref": "总结文号",
    # states
    "state.risk_control": "风险控制", "state.verifying": "核查中", "state.disposed": "已处置",
    "state.window_open": "复检申请期", "state.requested": "已申请复检",
    "state.accepted": "已受理复检", "state.rejected": "不予复检", "state.testing": "复检中",
    "state.upheld": "维持原结论", "state.overturned": "推翻原结论",
    "state.not_applicable": "不适用复检", "state.not_requested": "未申请复检",
    "state.ordered": "已责令", "state.recalling": "召回中", "state.verified": "已核实",
    "state.not_held": "未持有", "state.reported": "已报告整改", "state.failed": "整改未通过",
    "state.filed": "已立案", "state.not_filed": "不予立案", "state.decided": "已作出决定",
    "state.received": "已收到", "state.mediating": "调解中", "state.refused": "不予受理",
    "state.agreed": "达成协议", "state.terminated": "终止调解",
    "state.parties_notified": "已告知当事人", "state.notified": "已告知",
    "state.awaiting": "待报送", "state.submitted": "已报送", "state.open": "待处置",
    "state.handled": "已处置", "state.closed": "已办结",
    # deadlines
    "dl.acceptance": "受理决定", "dl.alert_handling": "告警处置",
    "dl.case_decision": "作出处理决定",
    "dl.disposal": "核查处置", "dl.investigation_filing": "立案核查", "dl.mediation": "调解",
    "dl.objection_result": "异议处理结果", "dl.objection_sampling": "异议复核",
    "dl.publication": "信息公布", "dl.recall_start": "启动召回",
    "dl.recall_completion": "完成召回", "dl.rectification": "整改",
    "dl.reinspection": "复查", "dl.reporter_notice": "告知举报人",
    "dl.retest_conclusion": "复检结论", "dl.retest_decision": "复检受理决定",
    "dl.retest_lab_assignment": "确定复检机构", "dl.retest_window": "复检申请期",
    "dl.risk_control": "风险控制", "dl.termination_notice": "终止调解告知",
    "dl.verification": "核查", "dl.summary_due": "年度总结报送",
    "dl.refusal_notice": "不予受理告知",
    # pauses a deadline's clock does not count
    "pause.testing": "检验、检测、鉴定期间", "pause.recusal": "回避申请期间",
    # holidays (chinese-calendar's names)
    "holiday.New Year's Day": "元旦", "holiday.Spring Festival": "春节",
    "holiday.Tomb-sweeping Day": "清明节", "holiday.Labour Day": "劳动节",
    "holiday.Dragon Boat Festival": "端午节", "holiday.Mid-autumn Festival": "中秋节",
    "holiday.National Day": "国庆节", "holiday.Anti-Fascist 70th Day": "抗战胜利纪念日",
    # entity kinds and results
    "ekind.catering": "餐饮", "ekind.market": "农产品批发市场", "ekind.stall": "摊贩",
    "ekind.farm": "种养殖", "ekind.canteen": "单位食堂", "ekind.school_canteen": "学校食堂",
    "ekind.retail": "食品销售", "ekind.producer": "食品生产",
    "result.conforming": "符合", "result.basically_conforming": "基本符合",
    "result.nonconforming": "不符合", "result.qualified": "合格", "result.unqualified": "不合格",
}

_EN_TERMS: dict[str, str] = {
    "kind.SD": "Sampling disposal", "kind.RV": "Recall verification",
    "kind.RC": "Rectification", "kind.IV": "Investigation", "kind.CP": "Complaint",
    "kind.RP": "Report", "kind.AS": "Annual summary", "kind.KA": "Kitchen camera alerts",
}


def _term_en(key: str) -> str | None:
    found = _EN_TERMS.get(key)
    if found is not None:
        return found
    prefix, _, name = key.partition(".")
    if prefix in {"cmd", "arg", "state", "dl", "ekind", "result", "pause"}:
        return name.replace("_", " ")
    if prefix == "holiday":
        return name
    return None


MESSAGES: dict[str, dict[str, str]] = {"zh": {**_ZH, **_ZH_TERMS}, "en": _EN}


def translator(lang: str) -> Callable[..., str]:
    """``t(key, **values)`` in ``lang``; a missing key falls back to Chinese, then the key."""
    table = MESSAGES.get(lang, MESSAGES[DEFAULT])

    def t(key: str, **values: Any) -> str:
        text = table.get(key)
        if text is None and lang == "en":
            text = _term_en(key)
        if text is None:
            text = MESSAGES[DEFAULT].get(key, key)
        return text.format(**values) if values else text

    return t


def term(lang: str, prefix: str, name: object) -> str:
    """The word for a code (``term('zh', 'cmd', 'accept_complaint')``), the code if unknown."""
    key = f"{prefix}.{name}"
    found = translator(lang)(key)
    return str(name) if found == key else found


def pick(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT
