//! RLS013, RLS014 and RLS041: keys and constraints whose checks bypass RLS and leave the tenant
//! column out.

use crate::checks::rls::catalog::SideChannel;
use crate::config::Config;
use crate::db::quote_ident;
use crate::finding::{Finding, Rule, Status};
use crate::report::CheckId;
use serde_json::json;

/// A unique key on a tenant table leaves out the tenant column.
pub static UNIQUE_SIDE_CHANNEL: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS013",
    name: "unique-key-without-tenant",
    title: "a unique key on a tenant table leaves out the tenant column",
    checks: "Unique indexes, primary keys included, on tenant tables with row level security on whose key columns \
             do not include the tenant column, unless a key column is generated (an identity, a `nextval` default \
             such as bigserial's, or a `gen_random_uuid()`/`uuid_generate_v4()` default).",
    why: "Unique checks bypass RLS: a duplicate-key error tells one tenant that another tenant has that value (an existence oracle).",
    remedy: "Make the key per tenant: `CREATE UNIQUE INDEX ON t (tenant_id, col); DROP INDEX t_col_key;` (for a \
             primary key, `ALTER TABLE t ADD PRIMARY KEY (tenant_id, id)` after dropping the old one).",
    limits: "A key with a generated column is not reported, though an application that lets a tenant supply an \
             explicit id still turns it into an oracle; whether the application lets a tenant choose a value is not \
             known. An expression index that uses the tenant column inside an expression is reported.",
};

/// A foreign key between tenant tables leaves out the tenant column.
pub static FK_SIDE_CHANNEL: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS014",
    name: "foreign-key-without-tenant",
    title: "a foreign key between tenant tables leaves out the tenant column",
    checks: "Foreign keys from one tenant table with row level security on to another where the tenant column is \
             not among both the referencing and the referenced columns.",
    why: "Foreign-key checks bypass RLS: a tenant can link its rows to another tenant's parent rows and probe which ids exist. \
          A composite key (tenant_id, parent_id) prevents both.",
    remedy: "Make it composite: `ALTER TABLE child ADD FOREIGN KEY (tenant_id, parent_id) REFERENCES parent \
             (tenant_id, id);` (the parent needs a unique key on (tenant_id, id)), then drop the old constraint.",
    limits: "Foreign keys to tables without the tenant column (shared reference data) or without RLS are not judged. \
             Whether the referenced ids can be guessed is not known.",
};

/// An exclusion constraint on a tenant table leaves out the tenant column.
pub static EXCLUSION_SIDE_CHANNEL: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS041",
    name: "exclusion-without-tenant",
    title: "an exclusion constraint on a tenant table leaves out the tenant column",
    checks: "Exclusion constraints (`EXCLUDE USING …`) on tenant tables with row level security on whose columns do \
             not include the tenant column.",
    why: "Exclusion checks bypass RLS like unique checks: a conflict error (SQLSTATE 23P01) tells one tenant that \
          another tenant holds that slot, range or value (an existence oracle), and one tenant's rows block another's.",
    remedy: "Add the tenant to the constraint: `CREATE EXTENSION IF NOT EXISTS btree_gist; ALTER TABLE t ADD \
             CONSTRAINT t_no_overlap EXCLUDE USING gist (tenant_id WITH =, slot WITH &&); ALTER TABLE t DROP \
             CONSTRAINT t_slot_excl;` (btree_gist gives `=` on scalar columns in a gist index).",
    limits: "Reads the constraint's columns: a constraint that uses the tenant column only inside an expression is \
             reported. A constraint that is meant to span tenants (one shared calendar) is still reported.",
};

/// RLS041 for an exclusion constraint without the tenant column.
pub fn exclusion_side_channel(cfg: &Config, s: &SideChannel) -> Option<Finding> {
    let tcol = &cfg.tenancy.column;
    (s.kind == "exclusion constraint").then(|| {
        EXCLUSION_SIDE_CHANNEL
            .finding(
                Status::Warn,
                &format!("{}/{}", s.table, s.name),
                format!(
                    "expected exclusion constraint `{}` on `{}` to include `{tcol}`, found {}",
                    s.name, s.table, s.definition
                ),
            )
            .with_evidence(json!(s))
            .with_remedy(format!(
                "ALTER TABLE {t} ADD EXCLUDE USING gist ({tcol} WITH =, <the constraint's columns and operators>);\n\
                 ALTER TABLE {t} DROP CONSTRAINT {};  -- gist needs CREATE EXTENSION btree_gist for `=` on scalars",
                quote_ident(&s.name),
                t = s.table
            ))
    })
}

/// RLS013 for a unique key without the tenant column and without a generated column.
pub fn unique_side_channel(cfg: &Config, s: &SideChannel) -> Option<Finding> {
    let tcol = &cfg.tenancy.column;
    (s.kind == "unique key" && !s.generated).then(|| {
        UNIQUE_SIDE_CHANNEL
            .finding(Status::Warn, &format!("{}/{}", s.table, s.name), format!("expected {} `{}` on `{}` to include `{tcol}`, found {}", s.kind, s.name, s.table, s.definition))
            .with_evidence(json!(s))
            .with_remedy(format!("replace it with a unique key on ({tcol}, ...): CREATE UNIQUE INDEX ON {} ({tcol}, <columns>); DROP INDEX {};", s.table, s.name))
    })
}

/// RLS014 for a foreign key without the tenant column.
pub fn fk_side_channel(cfg: &Config, s: &SideChannel) -> Option<Finding> {
    let tcol = &cfg.tenancy.column;
    (s.kind == "foreign key").then(|| {
        FK_SIDE_CHANNEL
            .finding(
                Status::Warn,
                &format!("{}/{}", s.table, s.name),
                format!(
                    "expected {} `{}` on `{}` to include `{tcol}`, found {}",
                    s.kind, s.name, s.table, s.definition
                ),
            )
            .with_evidence(json!(s))
            .with_remedy(format!(
                "make it composite: FOREIGN KEY ({tcol}, <column>) REFERENCES <parent> ({tcol}, <key>) (constraint {})",
                s.name
            ))
    })
}

#[cfg(test)]
fn key(kind: &str) -> SideChannel {
    SideChannel {
        table: super::fixtures::DOCS.into(),
        kind: kind.into(),
        name: "docs_title_key".into(),
        definition: "CREATE UNIQUE INDEX docs_title_key ON public.docs USING btree (title)".into(),
        generated: false,
    }
}

#[cfg(test)]
pub(super) fn triggers() -> Vec<Finding> {
    let cfg = super::fixtures::cfg();
    let mut out: Vec<Finding> = unique_side_channel(&cfg, &key("unique key")).into_iter().collect();
    out.extend(fk_side_channel(&cfg, &key("foreign key")));
    out.extend(exclusion_side_channel(&cfg, &key("exclusion constraint")));
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixtures;
    use super::*;

    #[test]
    fn rls013_unique_key_without_tenant_fires() {
        let f = triggers();
        assert_eq!(
            (f[0].code.as_str(), f[0].key.as_str(), f[0].status),
            ("RLS013", "RLS013:public.docs/docs_title_key", Status::Warn)
        );
    }

    #[test]
    fn rls013_unique_key_without_tenant_quiet() {
        assert!(unique_side_channel(&fixtures::cfg(), &key("foreign key")).is_none());
        let serial = SideChannel { generated: true, ..key("unique key") };
        assert!(unique_side_channel(&fixtures::cfg(), &serial).is_none(), "a bigserial or uuid key is no oracle");
    }

    #[test]
    fn rls041_exclusion_without_tenant_fires() {
        let f = triggers();
        assert_eq!((f[2].code.as_str(), f[2].status), ("RLS041", Status::Warn));
        assert!(f[2]
            .remedy
            .as_deref()
            .unwrap()
            .starts_with("ALTER TABLE public.docs ADD EXCLUDE USING gist (tenant_id WITH ="));
    }

    #[test]
    fn rls041_exclusion_without_tenant_quiet() {
        let cfg = fixtures::cfg();
        assert!(exclusion_side_channel(&cfg, &key("unique key")).is_none());
        assert!(fk_side_channel(&cfg, &key("exclusion constraint")).is_none(), "not a foreign key");
        assert!(unique_side_channel(&cfg, &key("exclusion constraint")).is_none(), "not a unique key");
    }

    #[test]
    fn rls014_foreign_key_without_tenant_fires() {
        let f = triggers();
        assert_eq!((f[1].code.as_str(), f[1].status), ("RLS014", Status::Warn));
        assert!(f[1].remedy.as_deref().unwrap().starts_with("make it composite: FOREIGN KEY (tenant_id, <column>)"));
    }

    #[test]
    fn rls014_foreign_key_without_tenant_quiet() {
        assert!(fk_side_channel(&fixtures::cfg(), &key("unique key")).is_none());
    }
}
