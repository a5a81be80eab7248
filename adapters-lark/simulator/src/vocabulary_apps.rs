//! Word lists for user groups and installed apps: group names, app names and vendors, app
//! categories and the permissions apps hold, with the descriptions Lark localises by `lang`.

/// Normal groups: name and description.
pub(crate) const GROUP_NAMES: &[(&str, &str)] = &[
    (
        "IT Contractors",
        "Contractors who need fine-grained access control.",
    ),
    (
        "Finance Approvers",
        "Approve expense claims above the team limit.",
    ),
    ("On-call Engineers", "The production on-call rotation."),
    ("New Joiners", "Everyone in their first 90 days."),
    ("People Managers", "Everyone who leads a team."),
    ("Security Champions", "The security contact of each team."),
    ("Office Admins", "Run the offices and the front desks."),
    ("Interviewers", "Trained to interview candidates."),
    ("Mentors", ""),
    ("Release Captains", "Coordinate the weekly release."),
    ("Data Stewards", "Own the quality of a data domain."),
    ("Travel Bookers", "May book travel for others."),
    ("Compliance Reviewers", "Review policy exceptions."),
    ("Event Volunteers", ""),
    ("Beta Testers", "Try new tools before everyone else."),
    (
        "IT 外包组",
        "IT 外包组，需要对该组人群进行细颗粒度权限管控。",
    ),
    ("销售骨干", "各区域销售骨干。"),
    ("プロジェクトリーダー", "全社プロジェクトのリーダー。"),
];

/// Dynamic groups (their rule is not modelled): name and description.
pub(crate) const DYNAMIC_GROUP_NAMES: &[(&str, &str)] = &[
    ("Full-time Employees", "Employee type is full-time."),
    ("All Interns", "Employee type is intern."),
    ("Singapore Office", "Work location is Singapore."),
    ("Managers (automatic)", "Leads at least one person."),
    ("Contractors (automatic)", "Employee type is contractor."),
    ("全体正式员工", "人员类型为正式。"),
];

/// Custom apps built inside the tenant: English and Chinese names.
pub(crate) const CUSTOM_APPS: &[(&str, &str)] = &[
    ("Expense Claims", "报销助手"),
    ("Leave Requests", "请假审批"),
    ("IT Helpdesk", "IT 服务台"),
    ("OKR Tracker", "OKR 追踪"),
    ("Onboarding Buddy", "入职助手"),
    ("Sales Dashboard", "销售看板"),
    ("Meeting Rooms", "会议室预订"),
    ("Weekly Report Bot", "周报机器人"),
    ("Deploy Notifier", "发布通知"),
    ("Recruiting Pipeline", "招聘流程"),
    ("Payroll Sync", "薪资同步"),
    ("Visitor Registration", "访客登记"),
    ("Asset Inventory", "资产盘点"),
    ("Customer Feedback", "客户反馈"),
    ("Shift Planner", "排班助手"),
    ("Contract Review", "合同审阅"),
];

/// Store apps: name, vendor, and whether Lark itself publishes it (owner type 0) rather than a
/// partner (owner type 1).
pub(crate) const STORE_APPS: &[(&str, &str, bool)] = &[
    ("Approval", "Lark Technologies", true),
    ("Attendance", "Lark Technologies", true),
    ("Taskbridge", "Taskbridge Ltd", false),
    ("PollPilot", "PollPilot Inc", false),
    ("SignFlow", "SignFlow Pte Ltd", false),
    ("FormForge", "Forge Labs", false),
    ("MeetNote", "MeetNote Inc", false),
    ("HireHive", "Hive Works", false),
    ("SurveyNest", "Nest Software", false),
    ("DocuQuill", "Quill Systems", false),
];

/// App categories (`common_categories`): Chinese, English, Japanese.
pub(crate) const CATEGORIES: &[(&str, &str, &str)] = &[
    ("分析工具", "Analytics", "分析ツール"),
    ("效率办公", "Productivity", "業務効率化"),
    ("人力资源", "Human resources", "人事"),
    ("财务", "Finance", "財務"),
    ("销售与客服", "Sales and service", "営業とサポート"),
    ("开发工具", "Developer tools", "開発ツール"),
    ("项目管理", "Project management", "プロジェクト管理"),
    ("沟通协作", "Communication", "コミュニケーション"),
    ("IT 管理", "IT management", "IT 管理"),
];

/// A permission as app listings show it: scope, Chinese, English and Japanese descriptions, level.
pub(crate) struct ScopeInfo {
    pub(crate) scope: &'static str,
    pub(crate) zh: &'static str,
    pub(crate) en: &'static str,
    pub(crate) ja: &'static str,
    /// 1 normal, 2 advanced, 3 super-sensitive (the simulator's own guess per scope).
    pub(crate) level: u8,
}

const fn scope(
    scope: &'static str,
    zh: &'static str,
    en: &'static str,
    ja: &'static str,
    level: u8,
) -> ScopeInfo {
    ScopeInfo {
        scope,
        zh,
        en,
        ja,
        level,
    }
}

pub(crate) const SCOPES: &[ScopeInfo] = &[
    scope(
        "admin:app.info:readonly",
        "获取应用信息",
        "Obtain app information",
        "アプリ情報を取得",
        1,
    ),
    scope(
        "contact:contact.base:readonly",
        "获取通讯录基本信息",
        "Obtain basic contacts information",
        "連絡先の基本情報を取得",
        1,
    ),
    scope(
        "contact:department.base:readonly",
        "获取部门基础信息",
        "Obtain basic department information",
        "部署の基本情報を取得",
        1,
    ),
    scope(
        "contact:department.organize:readonly",
        "获取通讯录部门组织架构信息",
        "Obtain department organisation information",
        "部署の組織情報を取得",
        1,
    ),
    scope(
        "contact:group:readonly",
        "获取用户组信息",
        "Obtain user group information",
        "ユーザーグループ情報を取得",
        1,
    ),
    scope(
        "contact:user.base:readonly",
        "获取用户基本信息",
        "Obtain basic user information",
        "ユーザーの基本情報を取得",
        1,
    ),
    scope(
        "contact:user.department:readonly",
        "获取用户组织架构信息",
        "Obtain users' department information",
        "ユーザーの部署情報を取得",
        1,
    ),
    scope(
        "contact:user.department_path:readonly",
        "获取成员所在部门路径",
        "Obtain the department path of users",
        "ユーザーの部署パスを取得",
        1,
    ),
    scope(
        "contact:user.dotted_line_leader_info.read",
        "获取用户虚线上级信息",
        "Obtain users' dotted-line managers",
        "ユーザーの点線上長を取得",
        1,
    ),
    scope(
        "contact:user.email:readonly",
        "获取用户邮箱信息",
        "Obtain user email addresses",
        "ユーザーのメールアドレスを取得",
        2,
    ),
    scope(
        "contact:user.employee:readonly",
        "获取用户受雇信息",
        "Obtain user employment information",
        "ユーザーの雇用情報を取得",
        1,
    ),
    scope(
        "contact:user.employee_id:readonly",
        "获取用户 user ID",
        "Obtain user ID",
        "ユーザー ID を取得",
        2,
    ),
    scope(
        "contact:user.gender:readonly",
        "获取用户性别",
        "Obtain user gender",
        "ユーザーの性別を取得",
        1,
    ),
    scope(
        "contact:user.phone:readonly",
        "获取用户手机号",
        "Obtain user phone numbers",
        "ユーザーの電話番号を取得",
        2,
    ),
    scope(
        "contact:user.user_geo",
        "获取用户数据所在地",
        "Obtain users' data residency",
        "ユーザーのデータ所在地を取得",
        1,
    ),
    scope(
        "tenant:tenant:readonly",
        "获取租户信息",
        "Obtain tenant information",
        "テナント情報を取得",
        1,
    ),
    scope(
        "offline_access",
        "持续访问已授权的数据",
        "Keep access to authorised data",
        "承認済みデータへの継続アクセス",
        1,
    ),
    scope(
        "im:message",
        "获取与发送单聊、群组消息",
        "Read and send messages in chats",
        "チャットのメッセージの取得と送信",
        1,
    ),
    scope(
        "im:chat:readonly",
        "获取群组信息",
        "Obtain group chat information",
        "グループチャット情報を取得",
        1,
    ),
    scope(
        "calendar:calendar:readonly",
        "获取日历、日程及忙闲信息",
        "Read calendars, events and free/busy",
        "カレンダー、予定、空き時間を取得",
        1,
    ),
    scope(
        "docx:document:readonly",
        "查看新版文档",
        "View documents",
        "ドキュメントを閲覧",
        1,
    ),
    scope(
        "drive:drive:readonly",
        "查看云空间中所有文件",
        "View all files in Drive",
        "ドライブのファイルを閲覧",
        2,
    ),
    scope(
        "approval:approval:readonly",
        "查看审批应用相关信息",
        "View approval information",
        "承認情報を閲覧",
        1,
    ),
    scope(
        "attendance:task:readonly",
        "导出打卡数据",
        "Export attendance records",
        "勤怠データをエクスポート",
        1,
    ),
    scope(
        "bitable:app",
        "查看、评论、编辑和管理多维表格",
        "View, comment on, edit and manage Base",
        "Base の閲覧、コメント、編集、管理",
        1,
    ),
    scope(
        "task:task:read",
        "查看任务",
        "View tasks",
        "タスクを閲覧",
        1,
    ),
    scope(
        "mail:user_mailbox:readonly",
        "读取用户邮箱",
        "Read user mailboxes",
        "ユーザーのメールボックスを読む",
        3,
    ),
];

/// The vocabulary entry of a scope, if it has one.
pub(crate) fn scope_info(name: &str) -> Option<&'static ScopeInfo> {
    SCOPES.iter().find(|s| s.scope == name)
}
