//! The behaviours both backends must show, each as one function of the database.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::StatusCode;
use webhook_core::futures::future::join_all;
use webhook_inbox::{Admin, AttemptOutcome, ListFilter, Replay, State};

use super::handler::{Behaviour, Probe};
use super::{
    Db, charge, charge_without_amount, config, eventually, idle, key, outcomes, receiver, row_of,
    rows, timeline_of,
};

pub(crate) async fn accepted_delivery_is_committed_then_handled_once(db: &Db) {
    let probe = Probe::new();
    let inbox = db.open(config()).await;
    let receiver = receiver(inbox.clone(), Behaviour::Succeed, &probe);

    let answer = charge("ch_1").send(&receiver).await;
    assert_eq!(
        (answer.status(), answer.reason()),
        (StatusCode::OK, "accepted")
    );
    idle(&receiver).await;

    let row = row_of(&inbox, "ch_1").await;
    assert_eq!(
        (row.state, row.attempts, row.provider.as_str()),
        (State::Done, 1, "modem-pay")
    );
    assert!(row.finished_at.is_some() && row.lease_owner.is_none());
    assert_eq!(probe.succeeded()[&key("ch_1")], 1);
}

pub(crate) async fn concurrent_duplicates_store_one_row_and_run_once(db: &Db) {
    let probe = Probe::new();
    let first = receiver(db.open(config()).await, Behaviour::Succeed, &probe);
    let second = receiver(db.open(config()).await, Behaviour::Succeed, &probe);

    let delivery = charge("ch_dup");
    let sends = (0..10).map(|n| {
        let receiver = if n % 2 == 0 { &first } else { &second };
        delivery.clone().send(receiver)
    });
    let answers = join_all(sends).await;
    assert!(
        answers
            .iter()
            .all(|answer| answer.status() == StatusCode::OK)
    );
    assert_eq!(
        answers
            .iter()
            .filter(|answer| answer.reason() == "accepted")
            .count(),
        1
    );
    idle(&first).await;
    idle(&second).await;

    assert_eq!(rows(&db.open(config()).await).await.len(), 1);
    assert_eq!(probe.started().len(), 1);
}

pub(crate) async fn dedupe_survives_reopening(db: &Db) {
    let probe = Probe::new();
    let delivery = charge("ch_restart");
    let before = receiver(db.open(config()).await, Behaviour::Succeed, &probe);
    assert_eq!(delivery.clone().send(&before).await.reason(), "accepted");
    idle(&before).await;
    before.shutdown(Duration::from_secs(1)).await;
    drop(before);

    let after = receiver(db.open(config()).await, Behaviour::Succeed, &probe);
    let answer = delivery.send(&after).await;
    assert_eq!(
        (answer.status(), answer.reason()),
        (StatusCode::OK, "duplicate")
    );
    idle(&after).await;
    assert_eq!(probe.started().len(), 1);
}

pub(crate) async fn typed_parse_failure_is_dead_with_body_kept(db: &Db) {
    let probe = Probe::new();
    let inbox = db.open(config()).await;
    let receiver = receiver(inbox.clone(), Behaviour::Typed, &probe);

    assert_eq!(
        charge_without_amount("ch_typed")
            .send(&receiver)
            .await
            .status(),
        StatusCode::OK
    );
    idle(&receiver).await;

    let row = row_of(&inbox, "ch_typed").await;
    assert_eq!(
        (row.state, row.attempts),
        (State::Dead, 1),
        "dead at once, without retries"
    );
    assert!(
        row.last_error.as_deref().unwrap_or("").contains("payload"),
        "{:?}",
        row.last_error
    );
    let entry = inbox.get(row.id).await.unwrap().expect("the row");
    assert!(entry.body.contains("\"ch_typed\""), "{}", entry.body);
    assert!(
        entry
            .headers
            .iter()
            .any(|(name, _)| name == "x-modem-signature")
    );
}

pub(crate) async fn redelivery_revives_a_dead_event(db: &Db) {
    let probe = Probe::new();
    let inbox = db.open(config()).await;
    let receiver = receiver(inbox.clone(), Behaviour::Typed, &probe);
    let delivery = charge_without_amount("ch_revive");
    delivery.clone().send(&receiver).await;
    idle(&receiver).await;
    assert_eq!(row_of(&inbox, "ch_revive").await.state, State::Dead);

    probe.fix();
    let answer = delivery.send(&receiver).await;
    assert_eq!(
        (answer.status(), answer.reason()),
        (StatusCode::OK, "accepted")
    );
    idle(&receiver).await;

    let row = row_of(&inbox, "ch_revive").await;
    assert_eq!(
        (row.state, row.attempts, row.last_error),
        (State::Done, 1, None)
    );
    assert_eq!(probe.started().len(), 2);
}

pub(crate) async fn panicking_handler_is_retried(db: &Db) {
    retried_then_done(db, Behaviour::PanicOnce, "ch_panic").await;
}

pub(crate) async fn failing_handler_is_retried_then_done(db: &Db) {
    retried_then_done(db, Behaviour::FailOnce, "ch_fail").await;
}

async fn retried_then_done(db: &Db, behaviour: Behaviour, id: &str) {
    let error = match behaviour {
        Behaviour::PanicOnce => "handler panicked: first attempt panics",
        _ => "handler failed: first attempt fails",
    };
    let probe = Probe::new();
    let inbox = db.open(config()).await;
    let receiver = receiver(inbox.clone(), behaviour, &probe);
    charge(id).send(&receiver).await;
    idle(&receiver).await;

    let row = row_of(&inbox, id).await;
    assert_eq!(
        (row.state, row.attempts, row.last_error),
        (State::Done, 2, None)
    );
    assert_eq!(probe.started(), vec![(key(id), 1), (key(id), 2)]);
    assert_eq!(probe.succeeded()[&key(id)], 1);

    let timeline = timeline_of(&inbox, id).await;
    assert_eq!(
        outcomes(&timeline),
        [
            (1, AttemptOutcome::Failed, Some(error)),
            (2, AttemptOutcome::Done, None)
        ],
        "each attempt with its error"
    );
    assert!(
        timeline.iter().all(|attempt| attempt.duration.is_some()),
        "each attempt's duration: {timeline:?}"
    );
    assert!(timeline[0].ended_at <= timeline[1].ended_at);
}

pub(crate) async fn exhausted_retries_go_dead_and_replay_revives_them(db: &Db) {
    let probe = Probe::new();
    let inbox = db.open(config()).await;
    let failing = receiver(inbox.clone(), Behaviour::AlwaysFail, &probe);
    charge("ch_a").send(&failing).await;
    charge("ch_b").send(&failing).await;
    idle(&failing).await;
    let dead = inbox
        .list(ListFilter::new().state(State::Dead))
        .await
        .unwrap();
    assert_eq!(dead.len(), 2);
    assert!(dead.iter().all(|row| row.attempts == 3
        && row.last_error.as_deref() == Some("handler failed: always fails")));
    let failed = Some("handler failed: always fails");
    assert_eq!(
        outcomes(&timeline_of(&inbox, "ch_a").await),
        [
            (1, AttemptOutcome::Failed, failed),
            (2, AttemptOutcome::Failed, failed),
            (3, AttemptOutcome::Dead, failed)
        ]
    );
    failing.shutdown(Duration::from_secs(1)).await;

    let fixed_inbox = db.open(config()).await;
    let fixed = receiver(fixed_inbox.clone(), Behaviour::Succeed, &probe);
    assert_eq!(
        fixed_inbox.replay(dead[0].id).await.unwrap(),
        Replay::Replayed
    );
    assert_eq!(
        fixed_inbox
            .replay_dead(Some("charge.succeeded"))
            .await
            .unwrap(),
        1
    );
    idle(&fixed).await;
    let stats = fixed_inbox.stats().await.unwrap();
    assert_eq!((stats.done, stats.dead, stats.total()), (2, 0, 2));
    assert_eq!(
        fixed_inbox.replay(i64::MAX).await.unwrap(),
        Replay::NotFound
    );
    let failed = Some("handler failed: always fails");
    assert_eq!(
        outcomes(&timeline_of(&fixed_inbox, "ch_a").await),
        [
            (1, AttemptOutcome::Failed, failed),
            (2, AttemptOutcome::Failed, failed),
            (3, AttemptOutcome::Dead, failed),
            (1, AttemptOutcome::Done, None)
        ],
        "a replay keeps the attempts before it"
    );

    // Replaying a done delivery keeps its done attempt in the timeline too.
    let done = row_of(&fixed_inbox, "ch_a").await;
    assert_eq!(fixed_inbox.replay(done.id).await.unwrap(), Replay::Replayed);
    idle(&fixed).await;
    let timeline = timeline_of(&fixed_inbox, "ch_a").await;
    assert_eq!(
        outcomes(&timeline[3..]),
        [
            (1, AttemptOutcome::Done, None),
            (1, AttemptOutcome::Done, None)
        ]
    );
}

pub(crate) async fn admin_lists_gets_and_purges(db: &Db) {
    let probe = Probe::new();
    let inbox = db.open(config()).await;
    let receiver = receiver(inbox.clone(), Behaviour::Typed, &probe);
    charge("ch_ok").send(&receiver).await;
    charge_without_amount("ch_bad").send(&receiver).await;
    idle(&receiver).await;

    let stats = inbox.stats().await.unwrap();
    assert_eq!((stats.done, stats.dead, stats.outstanding()), (1, 1, 0));
    let dead = inbox
        .list(
            ListFilter::new()
                .state(State::Dead)
                .event_type("charge.succeeded"),
        )
        .await
        .unwrap();
    assert_eq!(
        dead.iter()
            .map(|row| row.dedupe_key.clone())
            .collect::<Vec<_>>(),
        [key("ch_bad")]
    );
    assert!(
        inbox
            .list(ListFilter::new().event_type("charge.failed"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        inbox.list(ListFilter::new().limit(1)).await.unwrap()[0].dedupe_key,
        key("ch_bad"),
        "newest first"
    );
    assert!(inbox.get(i64::MAX).await.unwrap().is_none());

    let json = serde_json::to_value(inbox.get(dead[0].id).await.unwrap().unwrap()).unwrap();
    assert_eq!(
        (json["state"].as_str(), json["attempts"].as_u64()),
        (Some("dead"), Some(1))
    );
    assert!(json["received_at"].is_i64() && json["body"].as_str().unwrap().contains("ch_bad"));

    assert_eq!(
        inbox
            .purge_done_before(SystemTime::now() - Duration::from_secs(3600))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        inbox
            .purge_done_before(SystemTime::now() + Duration::from_secs(1))
            .await
            .unwrap(),
        1
    );
    let stats = inbox.stats().await.unwrap();
    assert_eq!((stats.done, stats.dead), (0, 1));
}

pub(crate) async fn crashed_workers_rows_are_reclaimed_after_the_lease(db: &Db) {
    let probe = Probe::new();
    let config = config().lease(Duration::from_millis(300));
    // The first instance runs on a runtime of its own, dropped while the handler hangs:
    // its tasks vanish without releasing anything, as in a crash.
    let (crash_db, crash_probe, crash_config) = (db.clone(), Arc::clone(&probe), config.clone());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let receiver = receiver(
                crash_db.open(crash_config).await,
                Behaviour::HangFirst,
                &crash_probe,
            );
            assert_eq!(
                charge("ch_crash").send(&receiver).await.status(),
                StatusCode::OK
            );
            eventually("the first attempt starts", async || {
                !crash_probe.started().is_empty()
            })
            .await;
        });
    })
    .join()
    .unwrap();

    let inbox = db.open(config).await;
    let survivor = receiver(inbox.clone(), Behaviour::HangFirst, &probe);
    idle(&survivor).await;
    let row = row_of(&inbox, "ch_crash").await;
    assert_eq!((row.state, row.attempts), (State::Done, 2));
    let timeline = timeline_of(&inbox, "ch_crash").await;
    assert_eq!(
        outcomes(&timeline),
        [
            (
                1,
                AttemptOutcome::Lost,
                Some("the lease ran out before the attempt ended (the process stopped or stalled)")
            ),
            (2, AttemptOutcome::Done, None)
        ],
        "the crashed attempt is on the timeline"
    );
    assert_eq!(timeline[0].duration, None, "a lost attempt has no duration");
    assert_eq!(
        probe.started(),
        vec![(key("ch_crash"), 1), (key("ch_crash"), 2)]
    );
}

pub(crate) async fn long_handler_keeps_its_lease_by_heartbeat(db: &Db) {
    let probe = Probe::new();
    let config = config().lease(Duration::from_millis(600));
    let slow = Behaviour::Slow(Duration::from_millis(1500));
    let inbox = db.open(config.clone()).await;
    let first = receiver(inbox.clone(), slow, &probe);
    let second = receiver(db.open(config).await, slow, &probe);

    charge("ch_slow").send(&first).await;
    idle(&first).await;
    idle(&second).await;
    assert_eq!(
        probe.started().len(),
        1,
        "the running row was not taken over"
    );
    let timeline = timeline_of(&inbox, "ch_slow").await;
    assert_eq!(outcomes(&timeline), [(1, AttemptOutcome::Done, None)]);
    let took = timeline[0].duration.expect("the attempt's duration");
    assert!(
        took >= Duration::from_millis(1500) && took < Duration::from_secs(60),
        "the handler's run: {took:?}"
    );
}

pub(crate) async fn two_instances_handle_each_row_exactly_once(db: &Db) {
    let probe = Probe::new();
    let first = receiver(db.open(config()).await, Behaviour::Succeed, &probe);
    let second = receiver(db.open(config()).await, Behaviour::Succeed, &probe);

    let ids: Vec<String> = (0..40).map(|n| format!("ch_race_{n}")).collect();
    let sends = ids
        .iter()
        .enumerate()
        .map(|(n, id)| charge(id).send(if n % 2 == 0 { &first } else { &second }));
    assert!(
        join_all(sends)
            .await
            .iter()
            .all(|answer| answer.reason() == "accepted")
    );
    idle(&first).await;
    idle(&second).await;

    let succeeded = probe.succeeded();
    assert_eq!(probe.started().len(), ids.len());
    assert!(
        ids.iter().all(|id| succeeded.get(&key(id)) == Some(&1)),
        "{succeeded:?}"
    );
}

pub(crate) async fn shutdown_leaves_unfinished_rows_pending_for_the_next_instance(db: &Db) {
    let probe = Probe::new();
    let inbox = db.open(config().workers(1)).await;
    let stopping = receiver(
        inbox.clone(),
        Behaviour::Slow(Duration::from_secs(30)),
        &probe,
    );
    for id in ["ch_s1", "ch_s2", "ch_s3"] {
        assert_eq!(charge(id).send(&stopping).await.reason(), "accepted");
    }
    eventually("a handler runs", async || !probe.started().is_empty()).await;
    stopping.shutdown(Duration::from_millis(100)).await;

    let after = inbox.stats().await.unwrap();
    assert_eq!((after.pending, after.running), (3, 0));
    assert!(
        rows(&inbox)
            .await
            .iter()
            .all(|row| row.attempts == 0 && row.lease_owner.is_none())
    );
    assert_eq!(
        charge("ch_s4").send(&stopping).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );

    let next = receiver(db.open(config()).await, Behaviour::Succeed, &probe);
    idle(&next).await;
    assert_eq!(probe.succeeded().len(), 3);
}

pub(crate) async fn quick_handlers_are_claimed_several_rows_at_a_time(db: &Db) {
    let probe = Probe::new();
    let inbox = db.open(config().workers(1).claim_batch(8)).await;
    let receiver = receiver(inbox.clone(), Behaviour::Gated, &probe);

    // The worker holds the first gate (a slow claim: the next claim takes one row) while
    // the rest is stored, the second gate seventh in line.
    assert_eq!(
        charge("ch_gate1").send(&receiver).await.reason(),
        "accepted"
    );
    eventually("the first gate's handler runs", async || {
        probe.started().len() == 1
    })
    .await;
    let queued = [
        "ch_q1", "ch_q2", "ch_q3", "ch_q4", "ch_q5", "ch_q6", "ch_gate2", "ch_q8", "ch_q9",
        "ch_q10", "ch_q11", "ch_q12",
    ];
    for id in queued {
        assert_eq!(charge(id).send(&receiver).await.reason(), "accepted");
    }
    probe.open_gate();

    // Quick claims double: 1 row, 2 rows, then 4, the second gate among them, so rows
    // of its claim are held (`running`) beside it: finished but not yet recorded, and
    // claimed but not yet run.
    eventually("the second gate's handler runs", async || {
        probe.started().len() == 8
    })
    .await;
    let held = inbox.stats().await.unwrap().running;
    assert!(
        held >= 2,
        "the worker claims one row at a time after quick handlers: {held} running"
    );
    probe.open_gate();
    idle(&receiver).await;

    let succeeded = probe.succeeded();
    assert_eq!(succeeded.len(), 13);
    assert!(succeeded.values().all(|runs| *runs == 1), "{succeeded:?}");
    let stats = inbox.stats().await.unwrap();
    assert_eq!((stats.done, stats.running), (13, 0));
    // Rows recorded done many to a statement keep each one's own duration: the gated
    // handlers waited for their gate, the others did not.
    let gated = timeline_of(&inbox, "ch_gate2").await;
    let quick = timeline_of(&inbox, "ch_q8").await;
    assert_eq!(outcomes(&gated), [(1, AttemptOutcome::Done, None)]);
    assert_eq!(outcomes(&quick), [(1, AttemptOutcome::Done, None)]);
    assert!(
        gated[0].duration > quick[0].duration,
        "{gated:?} against {quick:?}"
    );
}

pub(crate) async fn storage_error_answers_503(db: &Db) {
    let probe = Probe::new();
    let receiver = receiver(db.open(config()).await, Behaviour::Succeed, &probe);
    assert_eq!(
        charge("ch_before").send(&receiver).await.status(),
        StatusCode::OK
    );
    idle(&receiver).await;

    db.execute("DROP TABLE webhook_inbox_attempt; DROP TABLE webhook_inbox")
        .await;
    let answer = charge("ch_after").send(&receiver).await;
    assert_eq!(
        (answer.status(), answer.reason()),
        (StatusCode::SERVICE_UNAVAILABLE, "storage unavailable")
    );
    assert!(answer.retry_after_secs().is_some());
}

pub(crate) async fn full_inbox_answers_503_but_still_recognises_duplicates(db: &Db) {
    let probe = Probe::new();
    let inbox = db.open(config().max_pending(1)).await;
    let receiver = receiver(inbox, Behaviour::Slow(Duration::from_millis(600)), &probe);
    assert_eq!(
        charge("ch_first").send(&receiver).await.reason(),
        "accepted"
    );

    let refused = charge("ch_second").send(&receiver).await;
    assert_eq!(
        (refused.status(), refused.reason()),
        (StatusCode::SERVICE_UNAVAILABLE, "overloaded")
    );
    assert_eq!(
        charge("ch_first").send(&receiver).await.reason(),
        "duplicate"
    );
    idle(&receiver).await;
    assert_eq!(
        charge("ch_second").send(&receiver).await.reason(),
        "accepted",
        "room again once handled"
    );
    idle(&receiver).await;
}

pub(crate) async fn done_rows_are_pruned_after_retention(db: &Db) {
    let probe = Probe::new();
    let inbox = db
        .open(
            config()
                .retention(Duration::ZERO)
                .prune_interval(Duration::from_secs(1)),
        )
        .await;
    let receiver = receiver(inbox.clone(), Behaviour::Succeed, &probe);
    charge("ch_old").send(&receiver).await;
    idle(&receiver).await;

    eventually("the done row is pruned", async || {
        inbox.stats().await.unwrap().total() == 0
    })
    .await;
    assert_eq!(
        charge("ch_old").send(&receiver).await.reason(),
        "accepted",
        "forgotten after retention"
    );
    idle(&receiver).await;
}
