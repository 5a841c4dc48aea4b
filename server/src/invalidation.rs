//! The one place where a committed change reaches the caches. A service
//! that changes who may read what, or what there is to read, commits its
//! transaction through [`commit`] and names what went stale; nothing else
//! moves a generation. That keeps the rule "bump after commit" in one line,
//! and it is where telling the other instances belongs too (`NOTIFY` inside
//! the transaction, issue 21).
use sea_orm::{DatabaseTransaction, DbErr};

use crate::cache::Generation;

/// Changes to who may read what: revocations, re-consent, suspensions,
/// deleted apps.
pub static ACCESS: Generation = Generation::new();
/// Changes to enrollees' data: new or changed claims, coverage, people.
pub static DATA: Generation = Generation::new();
/// For caches whose keys already name an immutable version of their value.
pub static NEVER: Generation = Generation::new();

/// What a committed change may have made stale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stale {
    /// Cached token checks: a grant, token or app ended, or an app was
    /// suspended or restored.
    Access,
    /// Cached enrollee data and rendered resources.
    Data,
}

impl Stale {
    fn generation(self) -> &'static Generation {
        match self {
            Stale::Access => &ACCESS,
            Stale::Data => &DATA,
        }
    }
}

/// Commits `txn`; once it has committed, every cache entry that depends on
/// what `stale` names is refused in this process from then on. With nothing
/// stale it is a plain commit, so a service whose change turned out not to
/// matter (nothing lifted, nothing suspended) still has one way out.
pub async fn commit(txn: DatabaseTransaction, stale: Option<Stale>) -> Result<(), DbErr> {
    txn.commit().await?;
    if let Some(stale) = stale {
        stale.generation().bump();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use sea_orm::TransactionTrait;

    use super::*;

    #[test]
    fn each_kind_of_change_moves_its_own_generation() {
        assert!(std::ptr::eq(Stale::Access.generation(), &ACCESS));
        assert!(std::ptr::eq(Stale::Data.generation(), &DATA));
    }

    #[tokio::test]
    async fn a_commit_moves_the_generation_it_names() {
        let db = crate::db::in_memory().await;
        let before = ACCESS.current();
        commit(db.begin().await.unwrap(), Some(Stale::Access))
            .await
            .unwrap();
        // Other tests may move it too; it never goes back.
        assert!(
            ACCESS.current() > before,
            "entries read before the commit are refused"
        );
    }
}
