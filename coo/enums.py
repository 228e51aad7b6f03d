"""Every status and kind word of the UI, once. Templates show `.label`, never spell a status.

Values are stable English codes stored in the database; labels are the manual's Chinese words.
"""
from enum import Enum


class Labelled(str, Enum):
    """A str enum whose members carry the manual's Chinese label."""

    def __new__(cls, value, label):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    def __str__(self):
        return self.value

    @classmethod
    def choices(cls):
        return [(m.value, m.label) for m in cls]

    @classmethod
    def parse(cls, value):
        """The member for a submitted value, or None (bad input is the caller's to report)."""
        try:
            return cls(value)
        except ValueError:
            return None


# The enums below look alike (`duplicates` pairs them by shape) because each is only data: a stable
# code and the manual's word, one line a member. That is the point of this module; nothing to fold.


class CardKind(Labelled):
    LEGAL = "legal", "法人卡"
    OPERATOR = "operator", "操作员卡"


class Role(Labelled):
    ENTERPRISE = "enterprise", "企业用户"
    OPS = "ops", "运维"


class LoginMethod(Labelled):
    CARD = "card", "卡介质登录"
    PASSWORD = "password", "用户名密码登录"


class SealType(Labelled):
    COMPANY = "company", "公司章"
    CN_EN = "cn_en", "中英文章"


class SealShape(Labelled):
    ROUND = "round", "圆形"
    RECTANGLE = "rectangle", "长方形"
    ELLIPSE = "ellipse", "椭圆形"


class UsageStatus(Labelled):
    ENABLED = "enabled", "已启用"
    DISABLED = "disabled", "已停用"


class ReceiptStatus(Labelled):
    PENDING = "pending", "等待回执"
    SUCCESS = "success", "成功"
    FAILED = "failed", "失败"


class LayoutStatus(Labelled):
    CUSTOMS_GENERATED = "generated", "海关端生成"
    SENDING = "sending", "发送中"
    RECEIVED = "received", "接收成功"
    FAILED = "failed", "生成失败"       # an approved field cannot be printed whole: layout_error says why


class PrintStatus(Labelled):
    PENDING = "pending", "待打印"
    PRINTED = "printed", "已打印"


class DownloadStatus(Labelled):
    PENDING = "pending", "待下载"
    DOWNLOADED = "downloaded", "已下载"


class ArchiveStatus(Labelled):
    UNARCHIVED = "unarchived", "未归档"
    ARCHIVED = "archived", "已归档"


class Platform(Labelled):
    SINGLE_WINDOW = "single_window", "单一窗口"
    GOV_SERVICE = "gov_service", "海关政务服务一体化平台"
    OTHER = "other", "其他系统"


class PrintKind(Labelled):
    ORIGINAL_AND_COPY = "both", "打印正副本"
    ORIGINAL = "original", "打印正本"
    COPY = "copy", "打印副本"


class PrintJobStatus(Labelled):
    QUEUED = "queued", "等待打印控件"
    PRINTING = "printing", "打印中"
    DONE = "done", "打印完成"
    FAILED = "failed", "打印失败"
    CONFIRMED = "confirmed", "已确认"


class ExceptionReason(Labelled):
    POWER_CUT = "power_cut", "打印过程中断电"
    CONTENT_MISSING = "content_missing", "证书打印内容有缺失"
    PAPER_JAM = "paper_jam", "打印机卡纸"
    OFFSET = "offset", "打印偏移/格式错误"
    OTHER = "other", "其他"


class ExceptionStatus(Labelled):
    SUBMITTED = "submitted", "已提交"
    ACCEPTED = "accepted", "异常处理申请接收成功"
    REFUSED = "refused", "异常处理申请被拒绝"
    REPRINTED = "reprinted", "已重新打印"


class PrintDownloadStatus(Labelled):
    """证书下载's 打印下载状态 column: one word for the print and download states together."""
    SELF_PRINTED = "self_printed", "已自助打印"
    DOWNLOADED = "downloaded", "已下载"
    PENDING = "pending", "待下载"


class ExchangeKind(Labelled):
    AUTHORISATION = "authorisation", "印章签名授权"
    ARCHIVE = "archive", "证书归档"
    EXCEPTION = "exception", "打印异常申请"


class ExchangeStatus(Labelled):
    PENDING = "pending", "待发送"
    SENT = "sent", "已发送，等待回执"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class ExportStatus(Labelled):
    WAITING = "waiting", "等待导出"
    RUNNING = "running", "正在导出"
    COMPLETE = "complete", "导出完成"
    FAILED = "failed", "导出失败"
    EXPIRED = "expired", "已过期"


class PrintControlState(Labelled):
    """What the 证书打印 page says about the enterprise's 打印控件 when a print button is pressed."""
    NOT_INSTALLED = "not_installed", "未安装"
    NOT_RUNNING = "not_running", "未启动"
    OUTDATED = "outdated", "版本过低"
    READY = "ready", "已启动"


class AuditAction(Labelled):
    """What an 审计日志 row records. `coo.services.audit.record` takes only these."""
    LOGIN = "login", "登录"
    LOGIN_FAILED = "login_failed", "登录失败"
    LOGOUT = "logout", "退出"
    PIN_FAILED = "pin_failed", "卡密码校验失败"
    AGENT_VIEW_ENTERED = "agent_view_entered", "进入委托企业"
    AGENT_VIEW_LEFT = "agent_view_left", "返回本企业"
    OPERATOR_CREATE = "operator_create", "新增无卡操作员"
    OPERATOR_ENABLE = "operator_enable", "启用操作员"
    OPERATOR_DISABLE = "operator_disable", "停用操作员"
    SEAL_UPLOAD = "seal_upload", "上传印章扫描件"
    SEAL_CREATE = "seal_create", "新增印章"
    SEAL_UPDATE = "seal_update", "修改印章"
    SEAL_DISABLE = "seal_disable", "停用印章"
    SEAL_ENABLE = "seal_enable", "启用印章"
    SEAL_DELETE = "seal_delete", "删除印章"
    SIGNATURE_UPLOAD = "signature_upload", "上传签名扫描件"
    SIGNATURE_CREATE = "signature_create", "新增签名"
    SIGNATURE_UPDATE = "signature_update", "修改签名"  # the shared update of the kind table; 签名 has no 修改 screen today
    SIGNATURE_DISABLE = "signature_disable", "停用签名"
    SIGNATURE_ENABLE = "signature_enable", "启用签名"
    SIGNATURE_DELETE = "signature_delete", "删除签名"
    DEFAULT_SEAL_SET = "default_seal_set", "设置默认印章"
    DEFAULT_SIGNATURE_SET = "default_signature_set", "设置默认签名"
    AUTHORISATION_SUBMITTED = "authorisation_submitted", "印章签名授权"
    AUTHORISATION_RECEIPT = "authorisation_receipt", "授权回执"
    AUTHORISATION_SUPERSEDED = "authorisation_superseded", "授权失效（需重新授权）"
    AGENT_GRANTED = "agent_granted", "新增代理授权"
    AGENT_REVOKED = "agent_revoked", "撤销代理授权"
    CERTIFICATE_RECEIVED = "certificate_received", "接收海关审批证书"
    SIMULATOR_APPROVED = "simulator_approved", "海关模拟器审批证书"
    EXPORT_CERTIFICATES = "export_certificates", "导出"
    DOWNLOAD_EXPORT = "download_export", "下载导出文件"
    PRINTCONTROL_PAIRING_CODE = "printcontrol_pairing_code", "生成打印控件配对码"
    PRINTCONTROL_PAIRED = "printcontrol_paired", "打印控件配对"
    PRINTCONTROL_REVOKED = "printcontrol_revoked", "撤销打印控件"
    PRINT_REQUESTED = "print_requested", "发送打印任务"
    PRINT_REPORTED = "print_reported", "打印控件报告打印结果"
    PRINT_CONFIRMED = "print_confirmed", "确认打印结果"
    EXCEPTION_APPLY = "exception_apply", "异常申请"
    EXCEPTION_RECEIPT = "exception_receipt", "异常申请回执"
    DOWNLOAD_COPY = "download_copy", "副本预览/下载"
    DOWNLOAD_ORIGINAL = "download_original", "下载正本"
    ARCHIVED = "archived", "海关已归档"
    ARCHIVE_REFUSED = "archive_refused", "海关未予归档"
    VERIFY_INQUIRY = "verify_inquiry", "证书核查"
    WORKER_PING = "worker_ping", "后台任务自检"
