//! The district's units as a tree (区 → 镇/街道 → 村/社区, 三级联动):
//! the pages roll a unit's figures up to its parent and drill down to
//! its children, and a branch (a unit and everything under it) is what a
//! filtered report or 通报 covers. Pure: built from the units the server
//! holds (`unit add NAME --parent P`).
//!
//! A name that central does not hold as a unit (a kiosk's summary naming
//! a unit nobody added) stands as a root of its own: nothing is hidden
//! because the tree does not know it. A parent loop cannot be made with
//! `unit add` (a parent is added first), but the walks here stop at a
//! repeated name all the same, so a hand-edited database cannot hang a
//! page.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::storage::UnitRow;

/// The units' parent links.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    names: BTreeSet<String>,
    parent: HashMap<String, String>,
    children: BTreeMap<String, Vec<String>>,
}

impl Tree {
    pub fn new(rows: &[UnitRow]) -> Tree {
        let mut t = Tree::default();
        for r in rows {
            t.names.insert(r.name.clone());
            if let Some(p) = r.parent.as_ref().filter(|p| **p != r.name) {
                t.parent.insert(r.name.clone(), p.clone());
                t.children.entry(p.clone()).or_default().push(r.name.clone());
            }
        }
        for c in t.children.values_mut() {
            c.sort();
        }
        t
    }

    /// Every unit central holds, by name.
    pub fn units(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }

    /// Whether any unit has a parent: a flat district's pages show no
    /// levels.
    pub fn is_flat(&self) -> bool {
        self.parent.is_empty()
    }

    pub fn parent(&self, unit: &str) -> Option<&str> {
        self.parent.get(unit).map(String::as_str)
    }

    /// The unit's direct children, by name.
    pub fn children(&self, unit: &str) -> &[String] {
        self.children.get(unit).map_or(&[], Vec::as_slice)
    }

    /// From the root down to `unit` (inclusive): the breadcrumb.
    pub fn path(&self, unit: &str) -> Vec<String> {
        let mut path = vec![unit.to_string()];
        let mut at = unit;
        while let Some(p) = self.parent(at) {
            if path.iter().any(|u| u == p) {
                break;
            }
            path.push(p.to_string());
            at = p;
        }
        path.reverse();
        path
    }

    /// `names` in the tree's order (each under its parent, siblings by
    /// name), each with its indent (a full-width space a level): the
    /// lists units are chosen from.
    pub fn in_order(&self, names: impl IntoIterator<Item = String>) -> Vec<(String, String)> {
        let mut names: Vec<(Vec<String>, String)> = names.into_iter().map(|n| (self.path(&n), n)).collect();
        names.sort();
        names.dedup();
        names.into_iter().map(|(path, n)| (format!("{}{n}", "　".repeat(path.len() - 1)), n)).collect()
    }

    /// The unit and every unit under it.
    pub fn branch(&self, unit: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![unit.to_string()];
        while let Some(u) = todo.pop() {
            if seen.insert(u.clone()) {
                todo.extend(self.children(&u).iter().cloned());
            }
        }
        seen
    }

    /// Where `unit`'s figures go when the page shows the level under
    /// `top` (the roots when `None`): the child of `top` that `unit` is
    /// in, `unit` itself when it is `top`, `None` when it is outside.
    pub fn head_under(&self, unit: &str, top: Option<&str>) -> Option<String> {
        let path = self.path(unit);
        match top {
            None => path.into_iter().next(),
            Some(t) => {
                let i = path.iter().position(|u| u == t)?;
                Some(path.get(i + 1).unwrap_or(&path[i]).clone())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(name: &str, parent: Option<&str>) -> UnitRow {
        UnitRow { name: name.into(), parent: parent.map(Into::into), added_at: 0, added_by: "t".into() }
    }

    #[test]
    fn three_levels_roll_up_and_drill_down() {
        let t = Tree::new(&[
            unit("区委", None),
            unit("东镇", Some("区委")),
            unit("西街道", Some("区委")),
            unit("东村", Some("东镇")),
            unit("南村", Some("东镇")),
        ]);
        assert!(!t.is_flat());
        assert_eq!(t.path("南村"), ["区委", "东镇", "南村"]);
        assert_eq!(t.children("东镇"), ["东村", "南村"]);
        assert_eq!(t.units().count(), 5);
        let listed: Vec<String> = t
            .in_order(["南村", "区委", "档案室", "东村", "东镇"].map(String::from))
            .into_iter()
            .map(|(shown, _)| shown)
            .collect();
        assert_eq!(listed, ["区委", "　东镇", "　　东村", "　　南村", "档案室"]);
        assert_eq!(t.branch("东镇").into_iter().collect::<Vec<_>>(), ["东村", "东镇", "南村"]);
        // At the top, everything goes to the root; under 区委 to its child;
        // under 东镇 a village to itself and 东镇's own people to 东镇.
        assert_eq!(t.head_under("南村", None).as_deref(), Some("区委"));
        assert_eq!(t.head_under("南村", Some("区委")).as_deref(), Some("东镇"));
        assert_eq!(t.head_under("南村", Some("东镇")).as_deref(), Some("南村"));
        assert_eq!(t.head_under("东镇", Some("东镇")).as_deref(), Some("东镇"));
        assert_eq!(t.head_under("西街道", Some("东镇")), None, "outside the branch");
        // A name central does not hold is a root of its own.
        assert_eq!(t.head_under("档案室", None).as_deref(), Some("档案室"));
        assert_eq!(t.path("档案室"), ["档案室"]);
    }

    #[test]
    fn a_loop_in_the_database_does_not_hang_a_walk() {
        let t = Tree::new(&[unit("甲", Some("乙")), unit("乙", Some("甲"))]);
        assert_eq!(t.path("甲"), ["乙", "甲"]);
        assert_eq!(t.branch("甲").len(), 2);
        assert!(Tree::new(&[unit("甲", Some("甲"))]).is_flat(), "a unit is not its own parent");
    }
}
