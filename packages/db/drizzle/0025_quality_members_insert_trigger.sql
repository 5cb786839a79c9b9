-- A new judgment's annotator was queued for member evaluation twice: by the refresh, which queues
-- every annotator of the items it refreshes (their figures may move even where their row did not),
-- and by this trigger on the rows it inserts. Only the refresh inserts these rows, so the trigger
-- goes; the delete trigger stays (a removed judgment's annotator is no longer among the items').
DROP TRIGGER accord_quality_members_insert ON quality_judgments;
