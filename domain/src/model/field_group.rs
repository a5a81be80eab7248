//! Field groups: the fields Lark returns together only while the app holds one permission.
//! Without it Lark leaves every key of the group out of user (or department) objects, for
//! everyone (docs/lark-fidelity.md, "Withheld fields"). A group whose first key is missing
//! from an object is *withheld* for that object: its values are unknown, never empty.

use super::integration::text_enum;

text_enum!(
    /// A set of fields behind one Lark permission; `ALL` lists user groups first.
    FieldGroup, "field group" {
        /// Names and avatar (`contact:user.base:readonly`).
        UserNames => "names",
        /// The tenant-wide user id (`contact:user.employee_id:readonly`).
        UserId => "user_id",
        /// The contact email (`contact:user.email:readonly`).
        Email => "email",
        /// The mobile number (`contact:user.phone:readonly`).
        Mobile => "mobile",
        /// Gender (`contact:user.gender:readonly`).
        Gender => "gender",
        /// Departments, primary department and manager (`contact:user.department:readonly`).
        Departments => "departments",
        /// Status, super-admin flag, job title and other employment details
        /// (`contact:user.employee:readonly`).
        Employment => "employment",
        /// The employee number (`contact:user.employee_number:read` or the employment one).
        EmployeeNo => "employee_no",
        /// Data residency (`contact:user.user_geo`).
        Geo => "geo",
        /// Dotted-line managers (`contact:user.dotted_line_leader_info.read`).
        DottedLineLeaders => "dotted_line_leaders",
        /// A department's name and custom id (`contact:department.base:readonly`).
        DepartmentNames => "department_names",
        /// A department's parent, leaders and order (`contact:department.organize:readonly`).
        DepartmentOrganisation => "department_organisation",
    }
);

impl FieldGroup {
    /// The groups of user objects.
    pub const USER: &'static [FieldGroup] = &[
        Self::UserNames,
        Self::UserId,
        Self::Email,
        Self::Mobile,
        Self::Gender,
        Self::Departments,
        Self::Employment,
        Self::EmployeeNo,
        Self::Geo,
        Self::DottedLineLeaders,
    ];

    /// The groups of department objects.
    pub const DEPARTMENT: &'static [FieldGroup] =
        &[Self::DepartmentNames, Self::DepartmentOrganisation];

    /// The narrowest Lark permission that returns the group.
    pub const fn permission(self) -> &'static str {
        match self {
            Self::UserNames => "contact:user.base:readonly",
            Self::UserId => "contact:user.employee_id:readonly",
            Self::Email => "contact:user.email:readonly",
            Self::Mobile => "contact:user.phone:readonly",
            Self::Gender => "contact:user.gender:readonly",
            Self::Departments => "contact:user.department:readonly",
            Self::Employment => "contact:user.employee:readonly",
            Self::EmployeeNo => "contact:user.employee_number:read",
            Self::Geo => "contact:user.user_geo",
            Self::DottedLineLeaders => "contact:user.dotted_line_leader_info.read",
            Self::DepartmentNames => "contact:department.base:readonly",
            Self::DepartmentOrganisation => "contact:department.organize:readonly",
        }
    }

    /// The keys of Lark's JSON object that belong to the group. The first is the one that is
    /// always there while the app holds the permission; its absence marks the group withheld.
    pub const fn lark_keys(self) -> &'static [&'static str] {
        match self {
            Self::UserNames => &["name", "en_name", "nickname", "avatar"],
            Self::UserId => &["user_id"],
            Self::Email => &["email"],
            Self::Mobile => &["mobile"],
            Self::Gender => &["gender"],
            Self::Departments => &["department_ids", "leader_user_id", "orders"],
            Self::Employment => &[
                "status",
                "is_tenant_manager",
                "job_title",
                "employee_type",
                "city",
                "country",
                "work_station",
                "join_time",
                "enterprise_email",
                "custom_attrs",
            ],
            Self::EmployeeNo => &["employee_no"],
            Self::Geo => &["geo"],
            Self::DottedLineLeaders => &["dotted_line_leader_user_ids"],
            Self::DepartmentNames => &["name", "i18n_name", "department_id", "chat_id"],
            Self::DepartmentOrganisation => &[
                "parent_department_id",
                "leader_user_id",
                "leaders",
                "order",
                "unit_ids",
            ],
        }
    }

    /// The key whose absence from an object marks the group withheld.
    pub const fn sentinel(self) -> &'static str {
        self.lark_keys()[0]
    }

    /// What the group holds, in plain words ("email addresses").
    pub const fn describe(self) -> &'static str {
        match self {
            Self::UserNames => "names and avatars",
            Self::UserId => "user IDs",
            Self::Email => "email addresses",
            Self::Mobile => "mobile numbers",
            Self::Gender => "gender",
            Self::Departments => "departments and managers",
            Self::Employment => "account status, the super-admin flag and employment details",
            Self::EmployeeNo => "employee numbers",
            Self::Geo => "data residency",
            Self::DottedLineLeaders => "dotted-line managers",
            Self::DepartmentNames => "department names",
            Self::DepartmentOrganisation => "department parents, leaders and order",
        }
    }

    /// Which groups of `object` (a user or department object of Lark's) are withheld.
    pub fn withheld_in(groups: &[FieldGroup], object: &serde_json::Value) -> Vec<FieldGroup> {
        groups
            .iter()
            .copied()
            .filter(|group| object.get(group.sentinel()).is_none())
            .collect()
    }

    /// Copies the group's keys from `from` into `into` (Lark's JSON objects), removing those
    /// `from` lacks: the raw object then says what the kept values say.
    pub fn keep_keys(self, into: &mut serde_json::Value, from: &serde_json::Value) {
        let Some(target) = into.as_object_mut() else {
            return;
        };
        for key in self.lark_keys() {
            match from.get(*key) {
                Some(value) => {
                    target.insert((*key).to_owned(), value.clone());
                }
                None => {
                    target.remove(*key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_group_belongs_to_users_or_departments_once() {
        let mut all: Vec<FieldGroup> = FieldGroup::USER.to_vec();
        all.extend_from_slice(FieldGroup::DEPARTMENT);
        assert_eq!(all, FieldGroup::ALL);
        for group in FieldGroup::ALL {
            assert!(!group.permission().is_empty() && !group.lark_keys().is_empty());
        }
    }

    #[test]
    fn a_group_is_withheld_when_its_first_key_is_missing() {
        let user = json!({"open_id": "ou_1", "name": "Ann", "email": "", "status": {}});
        let withheld = FieldGroup::withheld_in(FieldGroup::USER, &user);
        assert!(!withheld.contains(&FieldGroup::UserNames));
        assert!(
            !withheld.contains(&FieldGroup::Email),
            "an empty value is a value"
        );
        assert!(!withheld.contains(&FieldGroup::Employment));
        assert!(withheld.contains(&FieldGroup::Mobile));
        assert!(withheld.contains(&FieldGroup::Departments));
    }

    #[test]
    fn keeping_keys_copies_and_drops_exactly_the_group() {
        let mut incoming = json!({"open_id": "ou_1", "name": "Ann", "city": "Oslo"});
        let stored = json!({"open_id": "ou_1", "status": {"is_frozen": true}, "job_title": "CTO"});
        FieldGroup::Employment.keep_keys(&mut incoming, &stored);
        assert_eq!(
            incoming,
            json!({"open_id": "ou_1", "name": "Ann", "status": {"is_frozen": true}, "job_title": "CTO"})
        );
    }
}
