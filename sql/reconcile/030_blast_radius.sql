-- Blast radius: what one decision about an agent (or a sponsor) reaches (merged into
-- blast_radius_history by the runner). From the
-- agent's identities and those of every declared descendant, follow every observed edge (a
-- trust or PassRole from one identity to another; a trust to an account root reaches from every
-- identity of that account, counted once as the account) to a fixed point, over the whole
-- estate in one recursive query. Count the identities reached, their active credentials, their
-- grants and their admin-equivalent grants; a sponsor reaches the union of its agents' reach.
CREATE OR REPLACE TEMP TABLE _blast_radius AS
WITH RECURSIVE node_of AS (
    -- nodes are numbers: identities from 1, account roots below 0
    SELECT provider, scope_id, identity_id, lower(principal) AS match_key, row_number() OVER () AS node
    FROM current_identities
), roots AS (
    SELECT account, -row_number() OVER () AS node FROM (
        SELECT DISTINCT source_scope AS account FROM current_edges
        WHERE source_kind = 'account_root' AND effect = 'Allow' AND source_scope IS NOT NULL)
), graph AS (
    SELECT s.node AS src, t.node AS dst
    FROM current_edges e
    JOIN node_of s ON s.match_key = lower(e.source)
    JOIN node_of t ON t.provider = e.provider AND t.scope_id = e.scope_id AND t.identity_id = e.target_identity_id
    WHERE e.source_kind = 'principal' AND e.effect = 'Allow'
    UNION
    SELECT r.node, t.node
    FROM current_edges e
    JOIN roots r ON r.account = e.source_scope
    JOIN node_of t ON t.provider = e.provider AND t.scope_id = e.scope_id AND t.identity_id = e.target_identity_id
    WHERE e.source_kind = 'account_root' AND e.effect = 'Allow'
    UNION
    SELECT n.node, r.node FROM node_of n JOIN roots r ON r.account = n.scope_id WHERE n.provider = 'aws'
), seeds AS (
    -- an agent reaches its own identities, and so does every agent above it
    SELECT b.agent_id AS subject, n.node FROM r_bindings b JOIN node_of n USING (provider, scope_id, identity_id)
    UNION ALL
    SELECT x.ancestor, n.node
    FROM r_bindings b JOIN agent_ancestors x USING (agent_id) JOIN node_of n USING (provider, scope_id, identity_id)
), closure(src, dst) AS (
    -- what each node with an edge reaches, to a fixed point: computed over the graph alone, which
    -- is small beside the seeds, then joined to them
    SELECT src, dst FROM graph
    UNION
    SELECT c.src, g.dst FROM closure c JOIN graph g ON g.src = c.dst
), reach AS (
    SELECT DISTINCT subject, node FROM (
        SELECT subject, node FROM seeds
        UNION ALL
        SELECT s.subject, c.dst FROM seeds s JOIN closure c ON c.src = s.node)
), held AS (
    SELECT n.node, coalesce(c.credentials, 0) AS credentials, coalesce(a.grants, 0) AS grants,
           coalesce(a.admin_grants, 0) AS admin_grants
    FROM node_of n
    LEFT JOIN (SELECT provider, scope_id, identity_id, count(*) AS credentials FROM current_credentials
               WHERE status = 'active' GROUP BY ALL) c USING (provider, scope_id, identity_id)
    LEFT JOIN r_identity_grants a USING (provider, scope_id, identity_id)
), sponsor_reach AS (
    SELECT DISTINCT t.root_sponsor AS subject, r.node FROM reach r JOIN agent_tree t ON t.agent_id = r.subject
    WHERE t.parent IS NULL
), measured AS (
    SELECT 'agent' AS subject_kind, subject, node FROM reach
    UNION ALL
    SELECT 'sponsor', subject, node FROM sponsor_reach
), agents AS (
    SELECT 'agent' AS subject_kind, agent_id AS subject, 1 AS agents FROM agent_tree
    UNION ALL
    SELECT 'agent', ancestor, count(*) FROM agent_ancestors GROUP BY ancestor
    UNION ALL
    SELECT 'sponsor', root_sponsor, count(*) FROM agent_tree GROUP BY root_sponsor
), counted AS (
    SELECT m.subject_kind, m.subject,
           count(*) FILTER (WHERE m.node > 0) AS identities,
           coalesce(sum(h.credentials), 0) AS credentials, coalesce(sum(h.grants), 0) AS grants,
           coalesce(sum(h.admin_grants), 0) AS admin_grants,
           count(*) FILTER (WHERE m.node < 0) AS accounts
    FROM measured m LEFT JOIN held h USING (node)
    GROUP BY ALL
)
SELECT a.subject_kind, a.subject, sum(a.agents) AS agents,
       coalesce(any_value(c.identities), 0) AS identities, coalesce(any_value(c.credentials), 0) AS credentials,
       coalesce(any_value(c.grants), 0) AS grants, coalesce(any_value(c.admin_grants), 0) AS admin_grants,
       coalesce(any_value(c.accounts), 0) AS accounts
FROM agents a LEFT JOIN counted c USING (subject_kind, subject)
GROUP BY a.subject_kind, a.subject;
