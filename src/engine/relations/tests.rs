//! Counting by each method against `PRAGMA foreign_key_check`, key sets, affinity and names.

use super::*;
use crate::engine::schema::{self, Detail};

/// Counts the declared relations, child table by child table, with parent keys held in memory
/// only up to `max_keys`, so that small parents take the join path.
fn count_declared(path: &std::path::Path, pace: Pace, max_keys: u64) -> Vec<Relation> {
    let conn = connect::open(path).unwrap();
    let schema = schema::load(&conn, Detail::Full).unwrap();
    let mut rels = declared(&schema);
    let kept = KeptKeys::default();
    let pass = Pass {
        max_keys,
        pace,
        sample: 3,
        ..counting(
            &conn,
            Duration::from_secs(30),
            3,
            &kept,
            (0, Snapshot::take(&conn)),
        )
    };
    for child in children(&rels) {
        let members: Vec<usize> = (0..rels.len())
            .filter(|&i| rels[i].child == child)
            .collect();
        count_child(&pass, &schema, &mut rels, &members);
    }
    rels
}

/// Two child tables of `users` with orphans: one in `a` (beside a NULL), two in `b`.
const TWO_CHILDREN: &str = "
    CREATE TABLE users(id INTEGER PRIMARY KEY);
    CREATE TABLE a(user_id REFERENCES users(id));
    CREATE TABLE b(user_id REFERENCES users(id));
    INSERT INTO users VALUES (1), (2), (3);
    INSERT INTO a VALUES (1), (4), (NULL);
    INSERT INTO b VALUES (2), (5), (6);";

#[test]
fn a_parents_keys_are_read_once_for_all_its_children_within_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch(&format!("PRAGMA foreign_keys = OFF; {TWO_CHILDREN}"))
        .unwrap();
    let conn = connect::open(&path).unwrap();
    let schema = schema::load(&conn, Detail::Full).unwrap();
    for (max_keys, kept) in [(3, 1), (2, 0)] {
        let mut rels = declared(&schema);
        let shared = KeptKeys::default();
        let pass = Pass {
            max_keys,
            pace: Pace::Slices,
            ..counting(
                &conn,
                Duration::from_secs(30),
                3,
                &shared,
                (0, Snapshot::take(&conn)),
            )
        };
        for child in ["a", "b"] {
            let members: Vec<usize> = (0..rels.len())
                .filter(|&i| rels[i].child == child)
                .collect();
            count_child(&pass, &schema, &mut rels, &members);
        }
        assert_eq!(pass.kept.held(), kept, "max_keys {max_keys}");
        // Beyond the bound the keys are not held at all: the join counts alike.
        let orphans: Vec<_> = rels.iter().map(|r| (r.orphans, r.nulls)).collect();
        let expected = [(Some(1), Some(1)), (Some(2), Some(0))];
        assert_eq!(orphans, expected, "max_keys {max_keys}");
    }
}

#[test]
fn a_parents_keys_read_on_one_connection_serve_the_other_judged_by_its_own_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let writer = Connection::open(&path).unwrap();
    writer
        .execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = OFF; {TWO_CHILDREN}"
        ))
        .unwrap();
    for commit_between in [false, true] {
        let (first, second) = (connect::open(&path).unwrap(), connect::open(&path).unwrap());
        let schema = schema::load(&first, Detail::Full).unwrap();
        let mut rels = declared(&schema);
        let kept = KeptKeys::default();
        let budget = Duration::from_secs(30);
        let start = (Snapshot::take(&first), Snapshot::take(&second));
        let one = counting(&first, budget, 3, &kept, (0, start.0));
        let two = counting(&second, budget, 3, &kept, (1, start.1));
        let of = |rels: &[Relation], child: &str| -> Vec<usize> {
            (0..rels.len())
                .filter(|&i| rels[i].child == child)
                .collect()
        };
        let members = of(&rels, "a");
        count_child(&one, &schema, &mut rels, &members);
        if commit_between {
            writer.execute("INSERT INTO users VALUES (9)", []).unwrap();
        }
        let members = of(&rels, "b");
        count_child(&two, &schema, &mut rels, &members);
        // One set, read by the first connection, served both.
        assert_eq!(kept.held(), 1);
        let counted: Vec<_> = rels.iter().map(|r| (r.orphans, r.one_snapshot)).collect();
        // The second connection cannot compare the first one's data_version with its own: it
        // judges the set by its own snapshot from before either read, which the commit broke.
        let expected = [(Some(1), true), (Some(2), !commit_between)];
        assert_eq!(counted, expected, "commit between: {commit_between}");
    }
}

#[test]
fn joins_count_alike_whole_and_in_slices_where_the_parent_is_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch(
            "PRAGMA foreign_keys = OFF;
             CREATE TABLE parent(id INTEGER PRIMARY KEY);
             CREATE TABLE coded(code TEXT);
             CREATE TABLE child(id INTEGER PRIMARY KEY, pid REFERENCES parent(id),
                                code TEXT REFERENCES coded(code));
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
             INSERT INTO parent SELECT i FROM n WHERE i % 10 != 0;
             INSERT INTO coded SELECT 'c' || id FROM parent;
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
             INSERT INTO child SELECT i, CASE WHEN i % 17 = 0 THEN NULL ELSE i % 5000 END,
                                  'c' || (i % 5000) FROM n;",
        )
        .unwrap();
    let missing: i64 = Connection::open(&path)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM child WHERE pid NOT IN (SELECT id FROM parent)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let in_memory = count_declared(&path, Pace::Slices, MAX_PARENT_KEYS);
    let whole = count_declared(&path, Pace::Whole, 10);
    let sliced = count_declared(&path, Pace::Slices, 10);
    let by_parent = |rels: &[Relation], p: &str| rels.iter().find(|r| r.parent == p).cloned();
    let (memory, whole, sliced) = (
        by_parent(&in_memory, "parent").unwrap(),
        by_parent(&whole, "parent").unwrap(),
        by_parent(&sliced, "parent").unwrap(),
    );
    assert_eq!(memory.orphans, Some(missing as u64));
    for rel in [&whole, &sliced] {
        assert_eq!(
            (rel.orphans, rel.nulls, rel.checked),
            (memory.orphans, memory.nulls, memory.checked)
        );
        assert_eq!(rel.sample.len(), 3);
        assert!(rel.one_snapshot && rel.error.is_none());
    }
    let unindexed = by_parent(&count_declared(&path, Pace::Slices, 10), "coded").unwrap();
    assert_eq!(unindexed.orphans, None);
    assert!(unindexed.error.unwrap().contains("no index on (code)"));
    let joined = by_parent(&count_declared(&path, Pace::Whole, 10), "coded").unwrap();
    let counted = by_parent(&in_memory, "coded").unwrap();
    assert_eq!(joined.orphans, counted.orphans);
}

/// `(child table, child column, orphans)` of each foreign key with orphans, from SQLite's own
/// check.
fn foreign_key_check(path: &std::path::Path) -> Vec<(String, String, u64)> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT k.\"table\", l.\"from\", count(*) FROM pragma_foreign_key_check AS k \
             JOIN pragma_foreign_key_list(k.\"table\") AS l ON l.id = k.fkid \
             GROUP BY 1, 2 ORDER BY 1, 2",
        )
        .unwrap();
    let rows = stmt.query_map([], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64))
    });
    rows.unwrap().map(Result::unwrap).collect()
}

#[test]
fn each_method_counts_as_foreign_key_check_does() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch(
            "PRAGMA foreign_keys = OFF;
             CREATE TABLE parent(id INTEGER PRIMARY KEY);
             CREATE TABLE coded(code TEXT UNIQUE);
             CREATE TABLE child(id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent(id),
                                code TEXT REFERENCES coded(code), note TEXT);
             CREATE INDEX child_pid ON child(pid, note);
             CREATE INDEX child_code ON child(code);
             CREATE TABLE other(id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent(id),
                                qid INTEGER REFERENCES parent(id));
             CREATE INDEX other_pid ON other(pid);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
             INSERT INTO parent SELECT i FROM n WHERE i % 10 != 0;
             INSERT INTO coded SELECT 'c' || id FROM parent;
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 9000)
             INSERT INTO child SELECT i, CASE WHEN i % 17 = 0 THEN NULL ELSE i % 3000 END,
                 CASE WHEN i % 11 = 0 THEN NULL ELSE 'c' || (i % 3050) END, 'n' FROM n;
             INSERT INTO other SELECT id, pid, CASE WHEN id % 13 = 0 THEN NULL
                 ELSE id % 3100 END FROM child;
             CREATE TABLE third(id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent(id));
             CREATE INDEX third_pid ON third(pid);
             INSERT INTO third SELECT id, CASE WHEN id % 7 = 0 THEN NULL WHEN id % 5 = 0 THEN 10
                 ELSE qid END FROM other;",
        )
        .unwrap();
    let truth = foreign_key_check(&path);
    let (index, pass, join) = (Some(Method::Index), Some(Method::Pass), Some(Method::Join));
    let method = |rels: &[Relation], child: &str, column: &str| {
        let found = rels
            .iter()
            .find(|r| r.child == child && r.columns[0] == column);
        found.unwrap().method
    };
    // Keys in memory: child's keys each lead an index, other's qid none, so other is one pass.
    let whole = count_declared(&path, Pace::Whole, MAX_PARENT_KEYS);
    assert_eq!(method(&whole, "child", "pid"), index);
    assert_eq!(method(&whole, "child", "code"), index);
    assert_eq!(method(&whole, "other", "pid"), pass);
    assert_eq!(method(&whole, "other", "qid"), pass);
    // Keys that do not fit: NOT EXISTS where a child index leads, else the join.
    let joined = count_declared(&path, Pace::Whole, 10);
    assert_eq!(method(&joined, "other", "pid"), index);
    assert_eq!(method(&joined, "child", "code"), index);
    assert_eq!(method(&joined, "other", "qid"), join);
    assert_eq!(method(&whole, "third", "pid"), index);
    // In slices: an index on the column alone, read in its order (slices::IndexScan); a child
    // table with any other relation is read in one pass.
    let sliced = count_declared(&path, Pace::Slices, MAX_PARENT_KEYS);
    assert_eq!(method(&sliced, "third", "pid"), index);
    let others: Vec<_> = sliced.iter().filter(|r| r.child != "third").collect();
    assert!(others.len() == 4 && others.iter().all(|r| r.method == pass));
    for rels in [&whole, &joined, &sliced] {
        let mut orphans: Vec<(String, String, u64)> = rels
            .iter()
            .map(|r| {
                (
                    r.child.to_string(),
                    r.columns[0].to_string(),
                    r.orphans.unwrap(),
                )
            })
            .collect();
        orphans.sort();
        assert_eq!(orphans, truth);
        for (rel, other) in rels.iter().zip(sliced.iter()) {
            assert_eq!((rel.nulls, rel.checked), (other.nulls, other.checked));
            assert_eq!(rel.sample.len(), 3);
            assert!(rel.one_snapshot && rel.error.is_none());
        }
    }
}

/// The plan of each statement the index method runs.
fn plan(conn: &Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let rows = stmt.query_map([], |r| r.get(3)).unwrap();
    rows.map(Result::unwrap).collect()
}

#[test]
fn the_index_method_reads_the_child_index_and_searches_the_parent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch(
            "CREATE TABLE parent(id INTEGER PRIMARY KEY);
             CREATE TABLE child(id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent(id),
                                body TEXT);
             CREATE INDEX child_pid ON child(pid);",
        )
        .unwrap();
    let conn = connect::open(&path).unwrap();
    let schema = schema::load(&conn, Detail::Full).unwrap();
    let rel = &declared(&schema)[0];
    let child = schema.table("child").unwrap();
    // Keys in memory: the unordered read of a whole pass (slices::Scan) reads the index.
    let read = plan(&conn, "SELECT rowid, c.\"pid\" FROM main.\"child\" AS c");
    assert!(read[0].contains("COVERING INDEX child_pid"), "{read:?}");
    // Keys that do not fit: NOT EXISTS reads the index and searches the parent's key.
    let not_exists = plan(&conn, &orphans_by_index_sql(child, rel));
    assert!(
        not_exists[0].contains("COVERING INDEX child_pid"),
        "{not_exists:?}"
    );
    assert!(not_exists
        .iter()
        .any(|d| d.starts_with("SEARCH p USING INTEGER PRIMARY KEY")));
    for max_keys in [MAX_PARENT_KEYS, 0] {
        let rels = count_declared(&path, Pace::Whole, max_keys);
        assert_eq!(rels[0].method, Some(Method::Index));
    }
}

#[test]
fn reads_reference_names_in_every_style() {
    assert_eq!(reference_base("user_id").as_deref(), Some("user"));
    assert_eq!(reference_base("userId").as_deref(), Some("user"));
    assert_eq!(reference_base("CustomerID").as_deref(), Some("customer"));
    assert_eq!(reference_base("id"), None);
    assert_eq!(reference_base("paid"), None);
}

#[test]
fn key_sets_answer_alike_in_every_shape() {
    let one = |k| Probe::One(k);
    let dense = KeySet::build((1..=1000).map(Key::Int).collect());
    let sparse = KeySet::build((1..=1000).map(|i| Key::Int(i * 1_000_000)).collect());
    let texts = KeySet::build(vec![Key::Text(b"a".to_vec()), Key::Text(b"b".to_vec())]);
    let mixed = KeySet::build(vec![Key::Text(b"a".to_vec()), Key::Int(7)]);
    assert!(matches!(dense, KeySet::Dense { .. }) && matches!(sparse, KeySet::Ints(_)));
    assert!(matches!(texts, KeySet::Texts(_)) && matches!(mixed, KeySet::Keys(_)));
    assert!(dense.contains(&one(KeyRef::Int(1))) && dense.contains(&one(KeyRef::Int(1000))));
    assert!(!dense.contains(&one(KeyRef::Int(0))) && !dense.contains(&one(KeyRef::Int(1001))));
    assert!(
        !dense.contains(&one(KeyRef::Int(i64::MIN))) && !dense.contains(&one(KeyRef::Text(b"1")))
    );
    assert!(
        sparse.contains(&one(KeyRef::Int(5_000_000))) && !sparse.contains(&one(KeyRef::Int(5)))
    );
    assert!(texts.contains(&one(KeyRef::Text(b"b"))) && !texts.contains(&one(KeyRef::Text(b"c"))));
    assert!(mixed.contains(&one(KeyRef::Text(b"a"))) && mixed.contains(&one(KeyRef::Int(7))));
    let pairs = KeySet::build(vec![Key::Tuple(vec![
        Key::Int(1),
        Key::Text(b"x".to_vec()),
    ])]);
    assert!(pairs.contains(&Probe::Tuple(Key::Tuple(vec![
        Key::Int(1),
        Key::Text(b"x".to_vec())
    ]))));
    assert!(!pairs.contains(&Probe::Tuple(Key::Tuple(vec![
        Key::Int(2),
        Key::Text(b"x".to_vec())
    ]))));
}

#[test]
fn keys_read_stay_integers_until_another_type_comes() {
    let one = |k| Probe::One(k);
    let mut ints = Keys::default();
    ints.push(one(KeyRef::Int(5)));
    assert!(matches!(ints.build(), KeySet::Dense { .. }));
    let mut mixed = Keys::default();
    for k in [KeyRef::Int(1), KeyRef::Text(b"a"), KeyRef::Int(2)] {
        mixed.push(one(k));
    }
    assert_eq!(mixed.len(), 3);
    let set = mixed.build();
    assert!(matches!(set, KeySet::Keys(_)));
    for k in [KeyRef::Int(1), KeyRef::Text(b"a"), KeyRef::Int(2)] {
        assert!(set.contains(&one(k)), "{k:?}");
    }
    assert!(!set.contains(&one(KeyRef::Int(3))));
}

#[test]
fn applies_the_parent_affinity_to_child_values() {
    assert_eq!(
        to_key(ValueRef::Text(b"5"), Affinity::Integer),
        Some(KeyRef::Int(5))
    );
    assert_eq!(
        to_key(ValueRef::Text(b"5"), Affinity::Text),
        Some(KeyRef::Text(b"5"))
    );
    assert_eq!(
        to_key(ValueRef::Real(3.0), Affinity::Integer),
        Some(KeyRef::Int(3))
    );
    assert_eq!(
        to_key(ValueRef::Text(b" 2.5 "), Affinity::Real),
        Some(KeyRef::Real(2.5f64.to_bits()))
    );
    assert_eq!(to_key(ValueRef::Null, Affinity::Integer), None);
}
