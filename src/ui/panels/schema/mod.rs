//! Schema (2): a tree of databases, tables (with columns, foreign keys, indexes, triggers), views,
//! virtual tables with their shadow tables folded under them; Enter shows an object's DDL; `c`
//! compares the selected database's schema with another's (see [`compare`]).

pub mod compare;

use std::collections::HashSet;

use ratatui::layout::Rect;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{List, ListItem, ListState};
use ratatui::Frame;

use super::{block, matches, pick, step, FilterMut, Panel};
use crate::engine::database::Database;
use crate::engine::schema::{pretty_ddl, Table, TableKind};
use crate::ui::action::{Action, PanelId};
use crate::ui::command::{Command, Ctx, Message};
use crate::ui::theme::Theme;
use crate::ui::view::View;
use crate::ui::widgets::popup::Popup;
use crate::ui::widgets::sql::highlight;
use crate::units;

pub const ID: PanelId = PanelId("schema");

#[derive(Default)]
pub struct Schema {
    pub selected: usize,
    pub filter: String,
    /// Nodes whose open/closed state differs from their default.
    pub toggled: HashSet<String>,
    /// The comparison shown instead of the tree, if any.
    pub compare: Option<compare::Compare>,
    /// The line and key of the node selected last: a database read again (another process's
    /// commit, or `r`) may add or remove lines above it, and the selection follows the node
    /// (unless it moved since, by a filter).
    anchor: Option<(usize, String)>,
}

/// The database a tree node belongs to (its key starts `d<index>`).
fn database_of(node: &Node) -> Option<usize> {
    let digits: String = node.key[1..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// One line of the tree.
pub struct Node {
    pub depth: usize,
    pub key: String,
    pub text: Vec<Span<'static>>,
    pub expandable: bool,
    pub open: bool,
    /// (title, SQL) shown by Enter.
    pub ddl: Option<(String, String)>,
}

struct Builder<'a> {
    nodes: Vec<Node>,
    state: &'a Schema,
    theme: &'a Theme,
    filtering: bool,
}

impl Builder<'_> {
    /// Adds a node and says whether its children should follow.
    fn add(
        &mut self,
        depth: usize,
        key: String,
        text: Vec<Span<'static>>,
        default_open: Option<bool>,
        ddl: Option<(String, String)>,
    ) -> bool {
        let expandable = default_open.is_some();
        let open =
            expandable && (default_open.unwrap_or(false) != self.state.toggled.contains(&key));
        self.nodes.push(Node {
            depth,
            key,
            text,
            expandable,
            open,
            ddl,
        });
        open
    }
}

/// The visible tree for `state`.
pub fn nodes(state: &Schema, view: &View) -> Vec<Node> {
    let mut b = Builder {
        nodes: Vec::new(),
        state,
        theme: &view.theme,
        filtering: !state.filter.is_empty(),
    };
    for (i, db) in view.dbs.iter().enumerate() {
        let ok = db.is_readable();
        // A damaged file shows what SQLite could read of it, and says so; one with nothing
        // readable says why.
        let (status, style) = match db.model.as_ref() {
            None => ("…".to_string(), b.theme.dim),
            Some(m) if m.is_damaged_but_readable() => (
                format!(
                    "{}: damaged file, the schema as far as it reads",
                    m.status.label()
                ),
                b.theme.warning,
            ),
            Some(m) if !m.is_ok() => (
                format!(
                    "{}: {}",
                    m.status.label(),
                    m.error.as_deref().unwrap_or("cannot be read")
                ),
                b.theme.error,
            ),
            Some(m) => (m.status.label().to_string(), b.theme.dim),
        };
        let text = vec![
            Span::styled(db.name().to_string(), b.theme.title),
            Span::styled(format!("  {status}"), style),
        ];
        let open_by_default = view.dbs.len() <= 3 || b.filtering;
        if b.add(
            0,
            format!("d{i}"),
            text,
            ok.then_some(open_by_default),
            None,
        ) {
            if let Some(m) = &db.model {
                database_nodes(&mut b, i, m);
            }
        }
    }
    b.nodes
}

fn database_nodes(b: &mut Builder, i: usize, m: &Database) {
    let f = b.state.filter.clone();
    let s = &m.schema;
    let pick = |kinds: &[TableKind]| -> Vec<&Table> {
        s.tables
            .iter()
            .filter(|t| kinds.contains(&t.kind) && matches(&f, &t.name))
            .collect()
    };
    let groups: [(&str, Vec<&Table>); 3] = [
        ("Tables", pick(&[TableKind::Table])),
        (
            "Virtual tables",
            pick(&[TableKind::Virtual, TableKind::Fts, TableKind::Rtree]),
        ),
        ("System", pick(&[TableKind::System])),
    ];
    for (name, tables) in groups {
        if tables.is_empty() {
            continue;
        }
        let key = format!("d{i}/{name}");
        let label = vec![Span::styled(
            format!("{name} ({})", tables.len()),
            b.theme.header,
        )];
        if b.add(1, key, label, Some(name != "System" || b.filtering), None) {
            for t in tables {
                table_node(b, i, m, t);
            }
        }
    }
    let views: Vec<_> = s.views.iter().filter(|v| matches(&f, &v.name)).collect();
    if !views.is_empty()
        && b.add(
            1,
            format!("d{i}/views"),
            vec![Span::styled(
                format!("Views ({})", views.len()),
                b.theme.header,
            )],
            Some(true),
            None,
        )
    {
        for v in views {
            let mut text = vec![Span::styled(v.name.clone(), b.theme.text)];
            if let Some(e) = &v.error {
                text.push(Span::styled(format!("  broken: {e}"), b.theme.error));
            }
            b.add(
                2,
                format!("d{i}/v/{}", v.name),
                text,
                None,
                Some((format!("view {}", v.name), v.sql.clone())),
            );
        }
    }
}

fn table_node(b: &mut Builder, i: usize, m: &Database, t: &Table) {
    let theme = b.theme;
    let mut text = vec![
        Span::styled(t.name.clone(), theme.text),
        Span::styled(
            format!("  {} rows", units::rows(t.rows, t.rows_exact)),
            theme.dim,
        ),
    ];
    if let Some(bytes) = t.bytes {
        text.push(Span::styled(
            format!(" · {}", units::bytes(bytes)),
            theme.dim,
        ));
    }
    if let Some(module) = &t.module {
        text.push(Span::styled(format!(" · {module}"), theme.keyword));
    }
    let ddl = t
        .sql
        .as_ref()
        .map(|s| (format!("table {}", t.name), pretty_ddl(s)));
    if !b.add(2, format!("d{i}/t/{}", t.name), text, Some(false), ddl) {
        return;
    }
    for c in &t.columns {
        let mut line = vec![
            Span::styled(c.name.clone(), theme.text),
            Span::styled(format!(" {}", c.decl_type), theme.keyword),
        ];
        let mut traits = Vec::new();
        if c.pk > 0 {
            traits.push("PK".to_string());
        }
        if c.notnull {
            traits.push("NOT NULL".into());
        }
        if let Some(d) = &c.default {
            traits.push(format!("= {d}"));
        }
        line.push(Span::styled(format!(" {}", traits.join(" ")), theme.dim));
        b.add(
            3,
            format!("d{i}/t/{}/c/{}", t.name, c.name),
            line,
            None,
            None,
        );
    }
    for fk in &t.foreign_keys {
        let text = format!(
            "→ ({}) {}({}) on delete {}",
            fk.columns.join(", "),
            fk.parent,
            fk.parent_columns.join(", "),
            fk.on_delete.to_lowercase()
        );
        b.add(
            3,
            format!("d{i}/t/{}/fk/{}", t.name, fk.columns.join(",")),
            vec![Span::styled(text, theme.info)],
            None,
            None,
        );
    }
    for ix in m.schema.indexes_of(&t.name) {
        let mut traits = vec![match ix.origin {
            "primary-key" => "primary key",
            "unique" => "UNIQUE constraint",
            _ if ix.unique => "unique",
            _ => "",
        }];
        traits.extend(ix.partial.then_some("partial"));
        traits.extend(ix.expression.then_some("expression"));
        traits.retain(|t| !t.is_empty());
        let text = vec![
            Span::styled(
                format!("◆ {} ({})", ix.name, ix.columns.join(", ")),
                theme.string,
            ),
            Span::styled(format!("  {}", traits.join(", ")), theme.dim),
        ];
        let ddl = ix
            .sql
            .as_ref()
            .map(|s| (format!("index {}", ix.name), s.to_string()));
        b.add(
            3,
            format!("d{i}/t/{}/i/{}", t.name, ix.name),
            text,
            None,
            ddl,
        );
    }
    for tr in m
        .schema
        .triggers
        .iter()
        .filter(|tr| tr.table.eq_ignore_ascii_case(&t.name))
    {
        let ddl = Some((format!("trigger {}", tr.name), tr.sql.clone()));
        b.add(
            3,
            format!("d{i}/t/{}/tr/{}", t.name, tr.name),
            vec![Span::styled(format!("⚡ {}", tr.name), theme.warning)],
            None,
            ddl,
        );
    }
    for shadow in m
        .schema
        .tables
        .iter()
        .filter(|s| s.shadow_of.as_deref() == Some(t.name.as_str()))
    {
        let text = vec![
            Span::styled(format!("▫ {}", shadow.name), theme.dim),
            Span::styled(
                format!(
                    "  shadow · {} rows",
                    units::rows(shadow.rows, shadow.rows_exact)
                ),
                theme.dim,
            ),
        ];
        b.add(
            3,
            format!("d{i}/t/{}/s/{}", t.name, shadow.name),
            text,
            None,
            None,
        );
    }
}

impl Panel for Schema {
    fn handle(&mut self, action: Action, ctx: &mut Ctx) {
        if let Some(c) = &mut self.compare {
            if action == Action::Compare {
                let (a, b) = (c.a, c.b);
                self.compare = compare::start(a, b, ctx);
            } else if !c.handle(action, ctx) {
                self.compare = None;
            }
            return;
        }
        let tree = nodes(self, ctx.view);
        if step(&mut self.selected, tree.len(), action) {
            self.anchor = anchor(&tree, self.selected);
            return;
        }
        let Some(node) = tree.get(self.selected) else {
            return;
        };
        match action {
            Action::Compare => {
                let a = database_of(node).unwrap_or(ctx.view.focus);
                self.compare = compare::start(a, a, ctx);
            }
            Action::Enter => match &node.ddl {
                Some((title, sql)) => ctx.popup(
                    Popup::new(title.clone(), Text::from(highlight(sql, &ctx.view.theme)))
                        .copying(sql.clone(), format!("the DDL of {title}")),
                ),
                None if node.expandable => self.toggle(&node.key),
                None => {}
            },
            Action::Copy | Action::CopyRow => match &node.ddl {
                Some((title, sql)) => ctx.copy(sql.clone(), format!("the DDL of {title}")),
                None => ctx.push(Command::Message(Message::info("nothing to copy here"))),
            },
            Action::Right if node.expandable && !node.open => self.toggle(&node.key),
            Action::Left if node.expandable && node.open => self.toggle(&node.key),
            Action::Left => {
                if let Some(parent) = tree[..self.selected]
                    .iter()
                    .rposition(|n| n.depth < node.depth)
                {
                    self.selected = parent;
                }
            }
            _ => {}
        }
        self.anchor = anchor(&tree, self.selected);
    }

    fn filter(&self) -> Option<&str> {
        Some(&self.filter)
    }

    fn filter_mut(&mut self) -> Option<FilterMut<'_>> {
        Some(FilterMut {
            text: &mut self.filter,
            selected: &mut self.selected,
        })
    }

    fn click(&mut self, row: u16, height: u16, ctx: &mut Ctx) {
        pick(&mut self.selected, row, height, 0);
        self.anchor = anchor(&nodes(self, ctx.view), self.selected);
    }

    /// The tree changed under the selection: it stays on the node it was on, where that still is.
    fn schema_read(&mut self, _db: usize, ctx: &mut Ctx) {
        let Some((line, key)) = &self.anchor else {
            return;
        };
        if *line != self.selected {
            return;
        }
        let tree = nodes(self, ctx.view);
        if let Some(at) = tree.iter().position(|n| &n.key == key) {
            self.selected = at;
            self.anchor = anchor(&tree, at);
        }
    }

    fn steps_back(&self) -> bool {
        self.compare.is_some()
    }

    fn draw(&self, frame: &mut Frame, area: Rect, view: &View) {
        match &self.compare {
            Some(c) => c.draw(frame, area, view),
            None => draw(self, frame, area, view),
        }
    }
}

impl Schema {
    fn toggle(&mut self, key: &str) {
        if !self.toggled.remove(key) {
            self.toggled.insert(key.to_string());
        }
    }

    /// Shows `object` of database `db` in the tree, opening what hides it, and says whether the
    /// database has it: a table, `table.column`, or an index (shown under its table).
    pub fn reveal(&mut self, db: usize, object: &str, view: &View) -> bool {
        let Some(schema) = view
            .dbs
            .get(db)
            .and_then(|d| d.model.as_ref())
            .map(|m| &m.schema)
        else {
            return false;
        };
        let table = match schema.indexes.iter().find(|i| i.name == object) {
            Some(index) => index.table.to_string(),
            None => object.split('.').next().unwrap_or_default().to_string(),
        };
        let Some(kind) = schema.table(&table).map(|t| t.kind) else {
            return false;
        };
        self.filter.clear();
        let group = match kind {
            TableKind::Table => "Tables",
            TableKind::System => "System",
            _ => "Virtual tables",
        };
        for key in [format!("d{db}"), format!("d{db}/{group}")] {
            if nodes(self, view).iter().any(|n| n.key == key && !n.open) {
                self.toggle(&key);
            }
        }
        let target = format!("d{db}/t/{table}");
        let tree = nodes(self, view);
        if let Some(at) = tree.iter().position(|n| n.key == target) {
            self.selected = at;
            self.anchor = anchor(&tree, at);
        }
        true
    }
}

/// The line `at` of `tree` with its node's key.
fn anchor(tree: &[Node], at: usize) -> Option<(usize, String)> {
    tree.get(at).map(|n| (at, n.key.clone()))
}

fn draw(state: &Schema, frame: &mut Frame, area: Rect, view: &View) {
    let t = &view.theme;
    let tree = nodes(state, view);
    let items: Vec<ListItem> = tree
        .iter()
        .map(|n| {
            let marker = match (n.expandable, n.open) {
                (true, true) => "▾ ",
                (true, false) => "▸ ",
                _ => "  ",
            };
            let mut spans = vec![Span::raw("  ".repeat(n.depth)), Span::styled(marker, t.dim)];
            spans.extend(n.text.iter().cloned());
            ListItem::new(Line::from(spans))
        })
        .collect();
    let filter = &state.filter;
    let title = if filter.is_empty() {
        " Schema · Enter DDL · ←→ fold · c compare ".to_string()
    } else {
        format!(" Schema · filter: {filter} ")
    };
    let list = List::new(items)
        .block(block(title, true, t))
        .highlight_style(t.selected);
    let mut list_state =
        ListState::default().with_selected(Some(state.selected.min(tree.len().saturating_sub(1))));
    frame.render_stateful_widget(list, area, &mut list_state);
}
