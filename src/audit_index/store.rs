//! A branch's per-patient tree kept in the index's SQLite database, so that a query's proof
//! of completeness comes from the database as the answer does, with nothing rebuilt.

use crate::protocol::audit_tree::{HeadStore, TreeError};
use jmt::storage::{LeafNode, Node, NodeKey, TreeReader, TreeUpdateBatch};
use jmt::{KeyHash, OwnedValue, Version};
use rusqlite::{params, Connection, OptionalExtension};

/// The tree nodes of one branch, in tables `tree_nodes` and `tree_values`.
pub struct SqlStore<'a> {
    pub db: &'a Connection,
    pub branch: &'a str,
}

fn store_error(error: impl ToString) -> TreeError {
    TreeError::Store(error.to_string())
}

impl TreeReader for SqlStore<'_> {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        let key = borsh::to_vec(node_key)?;
        let bytes: Option<Vec<u8>> = self
            .db
            .prepare_cached("SELECT node FROM tree_nodes WHERE branch = ?1 AND key = ?2")?
            .query_row(params![self.branch, key], |row| row.get(0))
            .optional()?;
        Ok(match bytes {
            Some(bytes) => Some(borsh::from_slice(&bytes)?),
            None => None,
        })
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        Ok(self
            .db
            .prepare_cached(
                "SELECT value FROM tree_values WHERE branch = ?1 AND key = ?2 AND version <= ?3",
            )?
            .query_row(
                params![self.branch, key_hash.0.to_vec(), max_version as i64],
                |row| row.get(0),
            )
            .optional()?)
    }

    /// Only a restore asks for it, which the index never runs; answered anyway.
    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        let mut statement = self
            .db
            .prepare_cached("SELECT key, node FROM tree_nodes WHERE branch = ?1")?;
        let mut best: Option<(NodeKey, LeafNode)> = None;
        let mut rows = statement.query(params![self.branch])?;
        while let Some(row) = rows.next()? {
            let key: NodeKey = borsh::from_slice(&row.get::<_, Vec<u8>>(0)?)?;
            if let Node::Leaf(leaf) = borsh::from_slice(&row.get::<_, Vec<u8>>(1)?)? {
                if best
                    .as_ref()
                    .is_none_or(|(_, b)| leaf.key_hash() > b.key_hash())
                {
                    best = Some((key, leaf));
                }
            }
        }
        Ok(best)
    }
}

impl HeadStore for SqlStore<'_> {
    fn write(&mut self, batch: &TreeUpdateBatch) -> Result<(), TreeError> {
        let mut insert = self
            .db
            .prepare_cached(
                "INSERT OR REPLACE INTO tree_nodes (branch, key, node) VALUES (?1, ?2, ?3)",
            )
            .map_err(store_error)?;
        for (key, node) in batch.node_batch.nodes() {
            let key = borsh::to_vec(key).map_err(store_error)?;
            let node = borsh::to_vec(node).map_err(store_error)?;
            insert
                .execute(params![self.branch, key, node])
                .map_err(store_error)?;
        }
        let mut value = self
            .db
            .prepare_cached(
                "INSERT OR REPLACE INTO tree_values (branch, key, version, value) VALUES (?1, ?2, ?3, ?4)",
            )
            .map_err(store_error)?;
        for ((version, key), bytes) in batch.node_batch.values() {
            value
                .execute(params![self.branch, key.0.to_vec(), *version as i64, bytes])
                .map_err(store_error)?;
        }
        let mut remove = self
            .db
            .prepare_cached("DELETE FROM tree_nodes WHERE branch = ?1 AND key = ?2")
            .map_err(store_error)?;
        for stale in &batch.stale_node_index_batch {
            let key = borsh::to_vec(&stale.node_key).map_err(store_error)?;
            remove
                .execute(params![self.branch, key])
                .map_err(store_error)?;
        }
        Ok(())
    }
}
