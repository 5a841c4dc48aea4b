//! The data API's access log: one row per FHIR or userinfo response (token,
//! app, beneficiary, resource, result count, status). Handlers hand records to
//! a bounded queue; a background task writes them in batches, so reads never
//! wait on a database write. On shutdown the task writes whatever is queued.
use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, EntityTrait, Set};
use tokio::sync::{mpsc, watch, Mutex};
use uuid::Uuid;

use crate::entities::api_access;

const QUEUE: usize = 10_000;
const BATCH: usize = 500;

/// One API response to record.
#[derive(Clone, Debug)]
pub struct AccessRecord {
    pub at: DateTime<Utc>,
    pub token_id: Option<Uuid>,
    pub application_id: Option<Uuid>,
    pub beneficiary_id: Option<Uuid>,
    pub method: String,
    pub path: String,
    pub resource: &'static str,
    pub interaction: &'static str,
    pub status: u16,
    pub result_count: Option<u64>,
    pub request_id: Option<String>,
    pub ip: Option<String>,
}

/// The sending side, shared by every handler. Cheap to clone.
#[derive(Clone)]
pub struct AccessLog {
    sender: mpsc::Sender<AccessRecord>,
    receiver: Arc<Mutex<Option<mpsc::Receiver<AccessRecord>>>>,
}

impl Default for AccessLog {
    fn default() -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE);
        Self {
            sender,
            receiver: Arc::new(Mutex::new(Some(receiver))),
        }
    }
}

impl AccessLog {
    /// Queues `record`; waits only if the queue is full (the writer is behind).
    pub async fn record(&self, record: AccessRecord) {
        if self.sender.send(record).await.is_err() {
            tracing::error!("the access log writer has stopped; a record could not be queued");
        }
    }

    /// Starts the writer (once); it stops after `shutdown` turns true and the queue is written.
    pub async fn spawn_writer(
        &self,
        db: DatabaseConnection,
        mut shutdown: watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let receiver = self.receiver.lock().await.take();
        tokio::spawn(async move {
            let Some(mut receiver) = receiver else { return };
            let mut batch = Vec::with_capacity(BATCH);
            loop {
                tokio::select! {
                    received = receiver.recv() => match received {
                        Some(record) => batch.push(record),
                        None => break,
                    },
                    _ = async { let _ = shutdown.wait_for(|stop| *stop).await; } => {
                        receiver.close();
                        while let Some(record) = receiver.recv().await {
                            batch.push(record);
                        }
                        write(&db, &mut batch).await;
                        return;
                    }
                }
                while batch.len() < BATCH {
                    match receiver.try_recv() {
                        Ok(record) => batch.push(record),
                        Err(_) => break,
                    }
                }
                write(&db, &mut batch).await;
            }
            write(&db, &mut batch).await;
        })
    }
}

async fn write(db: &DatabaseConnection, batch: &mut Vec<AccessRecord>) {
    if batch.is_empty() {
        return;
    }
    let rows: Vec<api_access::ActiveModel> = batch
        .drain(..)
        .map(|r| api_access::ActiveModel {
            id: Default::default(),
            occurred_at: Set(r.at),
            token_id: Set(r.token_id),
            application_id: Set(r.application_id),
            beneficiary_id: Set(r.beneficiary_id),
            method: Set(r.method.chars().take(8).collect()),
            path: Set(r.path.chars().take(512).collect()),
            resource: Set(r.resource.into()),
            interaction: Set(r.interaction.into()),
            status: Set(i32::from(r.status)),
            result_count: Set(r.result_count.map(|c| c.min(i32::MAX as u64) as i32)),
            request_id: Set(r.request_id),
            ip: Set(r.ip),
        })
        .collect();
    for attempt in 1..=5u64 {
        match api_access::Entity::insert_many(rows.clone())
            .exec_without_returning(db)
            .await
        {
            Ok(_) => return,
            Err(error) => {
                tracing::warn!(%error, attempt, "writing the access log failed; retrying");
                tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
            }
        }
    }
    tracing::error!(
        records = rows.len(),
        "the access log could not be written after 5 attempts"
    );
}
