CREATE TABLE "consensus_labels" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"item_id" uuid NOT NULL,
	"label" jsonb NOT NULL,
	"method" text NOT NULL,
	"agreement" real,
	"rubric_version" integer,
	"judgment_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"judgments" integer DEFAULT 0 NOT NULL,
	"dispute_id" uuid,
	"rationale" text DEFAULT '' NOT NULL,
	"tag" text,
	"committed_by" uuid,
	"committed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"superseded_at" timestamp with time zone,
	"superseded_by" uuid
);
--> statement-breakpoint
CREATE TABLE "consensus_pending" (
	"item_id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"queued_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "dispute_signoffs" (
	"dispute_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"proposal" text DEFAULT '' NOT NULL,
	"signed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "dispute_signoffs_dispute_id_user_id_pk" PRIMARY KEY("dispute_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "disputes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"item_id" uuid NOT NULL,
	"reason" text NOT NULL,
	"detail" text DEFAULT '' NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"agreement" real,
	"opened_by" uuid,
	"opened_at" timestamp with time zone DEFAULT now() NOT NULL,
	"label_id" uuid,
	"idempotency_key" text,
	"committed_by" uuid,
	"committed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "consensus_labels" ADD CONSTRAINT "consensus_labels_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consensus_labels" ADD CONSTRAINT "consensus_labels_item_id_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."items"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consensus_labels" ADD CONSTRAINT "consensus_labels_committed_by_users_id_fk" FOREIGN KEY ("committed_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consensus_labels" ADD CONSTRAINT "consensus_labels_superseded_by_users_id_fk" FOREIGN KEY ("superseded_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consensus_pending" ADD CONSTRAINT "consensus_pending_item_id_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."items"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consensus_pending" ADD CONSTRAINT "consensus_pending_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dispute_signoffs" ADD CONSTRAINT "dispute_signoffs_dispute_id_disputes_id_fk" FOREIGN KEY ("dispute_id") REFERENCES "public"."disputes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dispute_signoffs" ADD CONSTRAINT "dispute_signoffs_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "disputes" ADD CONSTRAINT "disputes_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "disputes" ADD CONSTRAINT "disputes_item_id_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."items"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "disputes" ADD CONSTRAINT "disputes_opened_by_users_id_fk" FOREIGN KEY ("opened_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "disputes" ADD CONSTRAINT "disputes_committed_by_users_id_fk" FOREIGN KEY ("committed_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "consensus_labels_current_uq" ON "consensus_labels" USING btree ("item_id") WHERE "consensus_labels"."superseded_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "consensus_labels_dispute_uq" ON "consensus_labels" USING btree ("dispute_id");--> statement-breakpoint
CREATE INDEX "consensus_labels_project_idx" ON "consensus_labels" USING btree ("project_id","committed_at");--> statement-breakpoint
CREATE INDEX "consensus_pending_project_idx" ON "consensus_pending" USING btree ("project_id","queued_at");--> statement-breakpoint
CREATE UNIQUE INDEX "disputes_open_item_uq" ON "disputes" USING btree ("item_id") WHERE "disputes"."status" = 'open';--> statement-breakpoint
CREATE INDEX "disputes_project_idx" ON "disputes" USING btree ("project_id","status","opened_at");--> statement-breakpoint
-- A submitted judgment (or a changed imported one) queues its item for consensus, in its own
-- transaction: one row per item, whatever the number of judgments. The consensus service removes
-- the row when it has computed the item (after the judgment's commit; a sweep finds rows left behind).
CREATE OR REPLACE FUNCTION accord_consensus_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status = 'submitted' AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM NEW.status OR OLD.payload IS DISTINCT FROM NEW.payload) THEN
    INSERT INTO consensus_pending (item_id, project_id) VALUES (NEW.item_id, NEW.project_id) ON CONFLICT (item_id) DO NOTHING;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER accord_consensus_enqueue AFTER INSERT OR UPDATE OF status, payload ON judgments FOR EACH ROW EXECUTE FUNCTION accord_consensus_enqueue();
--> statement-breakpoint
-- Items judged before this migration are computed once by the sweep.
INSERT INTO consensus_pending (item_id, project_id) SELECT DISTINCT item_id, project_id FROM judgments WHERE status = 'submitted' ON CONFLICT (item_id) DO NOTHING;
