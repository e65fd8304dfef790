-- IAM pattern containment as DuckDB GLOB (declared-model.md, "Matching grants (AWS)").
--
-- A declared pattern D covers an observed pattern O when every string O matches, D matches too:
-- `s3:*` covers `s3:Get*`, `s3:Get?bject` and `s3:GetObject`; `s3:Get*` does not cover `s3:*`.
-- Both sides are first normalised (`**` is `*`, and `*?` is `?*`: they match the same strings).
-- O becomes a "key": its `*` turned into a marker character that no literal and no `?` of D may
-- match; D becomes a glob whose `?` matches any character but the marker. Then D covers O
-- exactly when the key GLOBs the glob. Actions compare case-insensitively (lowered first),
-- resources case-sensitively.

CREATE OR REPLACE MACRO iam_norm(p) AS
    CASE WHEN contains(p, '**') OR contains(p, '*?')  -- rare: spare the regular expressions otherwise
         THEN regexp_replace(regexp_replace(regexp_replace(p, '\*+', '*', 'g'), '\*(\?+)', '\1*', 'g'), '\*+', '*', 'g')
         ELSE p END;

-- The observed side.
CREATE OR REPLACE MACRO iam_key(p) AS replace(iam_norm(p), '*', chr(1));

-- The covering side (a declared allowance, an exception, or a Deny subtracting).
CREATE OR REPLACE MACRO iam_glob(p) AS replace(replace(iam_norm(p), '[', '[[]'), '?', '[!' || chr(1) || ']');

-- Back from a key to the pattern people wrote, for evidence.
CREATE OR REPLACE MACRO iam_unkey(k) AS replace(k, chr(1), '*');

-- list_bool_or / list_bool_and, but of an empty list false / true (not NULL, which a WHERE
-- would silently read as "covered").
CREATE OR REPLACE MACRO any_true(l) AS coalesce(list_bool_or(l), false);
CREATE OR REPLACE MACRO all_true(l) AS coalesce(list_bool_and(l), true);

-- Whether any glob of `globs` covers `key`. (Lambda parameters in macros end in `_`: a macro's
-- arguments are substituted into its body, and a caller's column named like a parameter
-- would be captured by it.)
CREATE OR REPLACE MACRO iam_covered(key, globs) AS any_true(list_transform(globs, lambda glob_: key GLOB glob_));

-- Whether one allowance entry of `entries` covers the pair (action key, resource key).
CREATE OR REPLACE MACRO entries_cover(entries, a, r) AS
    any_true(list_transform(entries, lambda entry_: iam_covered(a, entry_.action_globs)
                                                    AND iam_covered(r, entry_.resource_globs)));
