//! Relations (6): declared and inferred relations with their orphan counts, samples of orphaned
//! rows, the fix, and the selected table's parents and children.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

use super::{block, matches, pick, step, FilterMut, Panel};
use crate::engine::migrate::fix::Fix;
use crate::engine::relations::Relation;
use crate::ui::action::{Action, PanelId};
use crate::ui::command::{Ctx, Message};
use crate::ui::theme::Theme;
use crate::ui::view::View;
use crate::ui::widgets::cell::fit;
use crate::ui::widgets::gauge::gauge;
use crate::ui::widgets::popup::Popup;
use crate::ui::widgets::sql::highlight;
use crate::units;

pub const ID: PanelId = PanelId("relations");

#[derive(Default)]
pub struct Relations {
    pub selected: usize,
    pub filter: String,
}

/// (database index, relation) of every database, filtered.
pub fn listed<'v>(filter: &str, view: &'v View) -> Vec<(usize, &'v Relation)> {
    view.dbs
        .iter()
        .enumerate()
        .flat_map(|(i, d)| d.relations.iter().flatten().map(move |r| (i, r)))
        .filter(|(_, r)| {
            matches(
                filter,
                &format!("{} {} {}", r.child, r.columns.join(" "), r.parent),
            )
        })
        .collect()
}

impl Panel for Relations {
    fn handle(&mut self, action: Action, ctx: &mut Ctx) {
        let list = listed(&self.filter, ctx.view);
        if step(&mut self.selected, list.len(), action) {
            return;
        }
        let Some((db, r)) = list.get(self.selected).copied() else {
            return;
        };
        match action {
            // The whole of it, fix and rebuild included, where it can be scrolled.
            Action::Enter => {
                let (text, what) = to_copy(r);
                ctx.popup(
                    Popup::new(name(r), detail(ctx.view, db, r, &ctx.view.theme))
                        .copying(text, what),
                )
            }
            Action::Copy | Action::CopyRow => {
                let (text, what) = to_copy(r);
                ctx.copy(text, what);
            }
            Action::Apply => match fix_of(r) {
                Some(fix) => crate::ui::fix::ask::<Relations>(db, fix, ctx),
                None => ctx.message(Message::info("this relation has nothing to fix")),
            },
            _ => {}
        }
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

    /// The table has a header row under its border.
    fn click(&mut self, row: u16, height: u16, _ctx: &mut Ctx) {
        pick(&mut self.selected, row, height, 1);
    }

    fn draw(&self, frame: &mut Frame, area: Rect, view: &View) {
        draw(self, frame, area, view);
    }
}

/// What `y` copies of a relation: its fixes (orphans, then the rebuild that declares it), or its
/// name when it needs none; and what to call that.
fn to_copy(r: &Relation) -> (String, String) {
    let clean = (r.orphans.unwrap_or(0) > 0).then(|| r.fix());
    let fixes: Vec<&str> = clean
        .as_deref()
        .into_iter()
        .chain(r.declare_fix.as_deref())
        .collect();
    if fixes.is_empty() {
        (name(r), "the relation".into())
    } else {
        (fixes.join("\n\n"), format!("the fix for {}", name(r)))
    }
}

/// What `a` applies: cleaning the orphans first when there are any (a key cannot be declared
/// over them), else the rebuild that declares the key.
fn fix_of(r: &Relation) -> Option<Fix> {
    let columns = r.columns.join("_");
    if r.orphans.unwrap_or(0) > 0 {
        return Some(Fix {
            name: format!("clean orphans of {} {columns}", r.child),
            sql: r.fix(),
        });
    }
    r.declare_fix.as_ref().map(|sql| Fix {
        name: format!("declare foreign key {} {columns}", r.child),
        sql: sql.to_string(),
    })
}

fn name(r: &Relation) -> String {
    format!(
        "{}({}) → {}({})",
        r.child,
        r.columns.join(", "),
        r.parent,
        r.parent_columns.join(", ")
    )
}

fn draw(s: &Relations, frame: &mut Frame, area: Rect, view: &View) {
    let t = &view.theme;
    let list = listed(&s.filter, view);
    let selected = s.selected.min(list.len().saturating_sub(1));
    let [top, bottom] = Layout::vertical([Constraint::Fill(1), Constraint::Fill(1)]).areas(area);
    let many = view.dbs.len() > 1;
    // Borders, kind, orphans and NULLs with their gaps, and the database column when shown.
    let name_w = usize::from(top.width).saturating_sub(2 + 30 + if many { 25 } else { 0 });
    let rows = list.iter().map(|(db, r)| {
        let orphans = r.orphans.map_or("?".into(), units::count);
        let style = if r.orphans.unwrap_or(0) > 0 {
            t.error
        } else {
            t.ok
        };
        let mut cells = Vec::new();
        if many {
            cells.push(Line::styled(fit(view.dbs[*db].name(), 24), t.dim));
        }
        cells.push(Line::styled(fit(&name(r), name_w), t.text));
        cells.push(Line::styled(
            if r.declared { "declared" } else { "inferred" },
            if r.declared { t.text } else { t.warning },
        ));
        cells.push(Line::styled(orphans, style).right_aligned());
        cells.push(Line::styled(r.nulls.map_or("?".into(), units::count), t.dim).right_aligned());
        Row::new(cells)
    });
    let mut header = vec!["relation", "kind", "orphans", "NULLs"];
    let mut widths = vec![
        Constraint::Fill(1),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(9),
    ];
    if many {
        header.insert(0, "database");
        widths.insert(0, Constraint::Length(24));
    }
    // Only the audit reports progress; a database read but not audited yet is still to count.
    let counted = view.jobs.values().find_map(|j| j.progress);
    let waiting = view
        .dbs
        .iter()
        .any(|d| d.model.as_ref().is_some_and(|m| m.is_ok()) && d.relations.is_none());
    let progress = match counted {
        Some((done, total)) => format!(" · counting {}", gauge(done, total, 10)),
        None if waiting => " · counting…".into(),
        None => String::new(),
    };
    let title = format!(" Relations ({}){progress} ", list.len());
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(t.header))
        .block(block(title, true, t))
        .row_highlight_style(t.selected);
    let mut state = TableState::default().with_selected(Some(selected));
    frame.render_stateful_widget(table, top, &mut state);
    let lines = list.get(selected).map_or_else(
        || {
            vec![Line::styled(
                if counted.is_none() && !waiting {
                    "No relations."
                } else {
                    "Counting orphans…"
                },
                t.dim,
            )]
        },
        |(db, r)| detail(view, *db, r, t),
    );
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block(
                " Relation · Enter: all of it · y copy the fix ".into(),
                false,
                t,
            )),
        bottom,
    );
}

fn detail(view: &View, db: usize, r: &Relation, t: &Theme) -> Vec<Line<'static>> {
    let counted = r.method.map(|m| format!(" · counted by {}", m.name()));
    let why = format!("why: {}{}", r.why, counted.unwrap_or_default());
    let mut lines = vec![Line::styled(why, t.dim)];
    if let Some(e) = &r.error {
        lines.push(Line::styled(format!("! {e}"), t.error));
    }
    lines.push(Line::styled("Tables around it", t.header));
    let rels = view.dbs[db].relations.as_deref().unwrap_or_default();
    for p in rels.iter().filter(|x| x.child == r.child) {
        lines.push(Line::styled(
            format!("  {} ← {}.{}", p.parent, p.child, p.columns.join(",")),
            t.text,
        ));
    }
    for c in rels
        .iter()
        .filter(|x| x.parent == r.child && x.child != r.child)
    {
        lines.push(Line::styled(
            format!("  {}.{} → {}", c.child, c.columns.join(","), c.parent),
            t.text,
        ));
    }
    if !r.sample.is_empty() {
        lines.push(Line::styled("Orphan rows (sample)", t.header));
        for s in &r.sample {
            let values: Vec<String> = s.values.iter().map(|v| v.to_string()).collect();
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  rowid {} ", s.rowid.map_or("-".into(), |x| x.to_string())),
                    t.dim,
                ),
                Span::styled(values.join(", "), t.error),
            ]));
        }
    }
    if r.orphans.unwrap_or(0) > 0 {
        lines.push(Line::styled("Fix (not run)", t.header));
        lines.extend(highlight(&r.fix(), t));
    }
    if let Some(declare) = &r.declare_fix {
        lines.push(Line::styled(
            "Declare the FOREIGN KEY (table rebuild, not run)",
            t.header,
        ));
        lines.extend(highlight(declare, t));
    }
    lines
}
