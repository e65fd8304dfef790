-- Each declared agent's delegation chain, computed once per model (load_model_tables copies it
-- into `agent_tree`). A sub-agent's sponsor is its root's sponsor; its depth is the number of
-- agents on the chain; an agent without `expires` inherits its nearest ancestor's.
CREATE OR REPLACE VIEW agent_tree_of_model AS
WITH RECURSIVE tree AS (
    SELECT agent_id, agent_id AS root_agent, sponsor AS root_sponsor, NULL::VARCHAR AS parent, 1 AS depth,
           [sponsor, agent_id] AS chain, []::VARCHAR[] AS ancestors, expires
    FROM model_agents WHERE delegated_by IS NULL
    UNION ALL
    SELECT a.agent_id, t.root_agent, t.root_sponsor, a.delegated_by, t.depth + 1,
           list_append(t.chain, a.agent_id), list_append(t.ancestors, t.agent_id), coalesce(a.expires, t.expires)
    FROM model_agents a JOIN tree t ON a.delegated_by = t.agent_id
), entries AS (
    SELECT agent_id,
           list({'entry_index': entry_index, 'actions': actions, 'resources': resources,
                 'action_globs': list_transform(actions, lambda x: iam_glob(lower(x))),
                 'resource_globs': list_transform(resources, lambda x: iam_glob(x))} ORDER BY entry_index) AS aws_entries
    FROM model_allow_aws GROUP BY agent_id
)
SELECT tree.*, entries.aws_entries FROM tree LEFT JOIN entries USING (agent_id);
