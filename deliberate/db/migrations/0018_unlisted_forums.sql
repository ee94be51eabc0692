-- Forums that belong to something else: a consultation's comments, a budget process's project debates. They are
-- reached from the consultation or the process (and stay public, searchable and federated), but the forum index
-- lists only the district's categories, organization forums and forums of other districts.

ALTER TABLE forum ADD COLUMN listed boolean NOT NULL DEFAULT true;

UPDATE forum SET listed = false
WHERE id IN (SELECT forum_id FROM consultation UNION SELECT forum_id FROM budget_process WHERE forum_id IS NOT NULL);
