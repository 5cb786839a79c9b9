CREATE TABLE "feedback" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"judgment_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"author_id" uuid,
	"text" text NOT NULL,
	"rating" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "qualification_answers" (
	"attempt_id" uuid NOT NULL,
	"item_id" uuid NOT NULL,
	"payload" jsonb NOT NULL,
	"response_order" jsonb NOT NULL,
	"agreement" real NOT NULL,
	"met" jsonb,
	"time_spent_ms" integer,
	"answered_at" timestamp with time zone NOT NULL,
	CONSTRAINT "qualification_answers_attempt_id_item_id_pk" PRIMARY KEY("attempt_id","item_id")
);
--> statement-breakpoint
CREATE TABLE "qualification_attempts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"status" text DEFAULT 'in_progress' NOT NULL,
	"item_ids" jsonb NOT NULL,
	"pass_threshold" real NOT NULL,
	"review" jsonb,
	"score" real,
	"review_share" real,
	"review_comment" text,
	"graded_by" uuid,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	"retry_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "qualifications" (
	"project_id" uuid PRIMARY KEY NOT NULL,
	"item_ids" jsonb NOT NULL,
	"pass_threshold" real NOT NULL,
	"retry_delay_minutes" integer NOT NULL,
	"grant_tier" integer,
	"grant_tags" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"review" jsonb,
	"updated_by" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "project_members" ADD COLUMN "paused_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "project_members" ADD COLUMN "pause_reason" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "project_members" ADD COLUMN "paused_by" uuid;--> statement-breakpoint
ALTER TABLE "project_members" ADD COLUMN "calibration_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "project_members" ADD COLUMN "calibration_note" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "project_members" ADD COLUMN "calibration_by" uuid;--> statement-breakpoint
ALTER TABLE "project_members" ADD COLUMN "qualified_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "qualification_required" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "feedback" ADD CONSTRAINT "feedback_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "feedback" ADD CONSTRAINT "feedback_judgment_id_judgments_id_fk" FOREIGN KEY ("judgment_id") REFERENCES "public"."judgments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "feedback" ADD CONSTRAINT "feedback_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "feedback" ADD CONSTRAINT "feedback_author_id_users_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "qualification_answers" ADD CONSTRAINT "qualification_answers_attempt_id_qualification_attempts_id_fk" FOREIGN KEY ("attempt_id") REFERENCES "public"."qualification_attempts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "qualification_answers" ADD CONSTRAINT "qualification_answers_item_id_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."items"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "qualification_attempts" ADD CONSTRAINT "qualification_attempts_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "qualification_attempts" ADD CONSTRAINT "qualification_attempts_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "qualification_attempts" ADD CONSTRAINT "qualification_attempts_graded_by_users_id_fk" FOREIGN KEY ("graded_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "qualifications" ADD CONSTRAINT "qualifications_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "qualifications" ADD CONSTRAINT "qualifications_updated_by_users_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "feedback_member_idx" ON "feedback" USING btree ("project_id","user_id","created_at");--> statement-breakpoint
CREATE INDEX "feedback_judgment_idx" ON "feedback" USING btree ("judgment_id");--> statement-breakpoint
CREATE INDEX "qualification_attempts_member_idx" ON "qualification_attempts" USING btree ("project_id","user_id","started_at");--> statement-breakpoint
CREATE UNIQUE INDEX "qualification_attempts_open_uq" ON "qualification_attempts" USING btree ("project_id","user_id") WHERE "qualification_attempts"."status" in ('in_progress', 'awaiting_review');--> statement-breakpoint
ALTER TABLE "project_members" ADD CONSTRAINT "project_members_paused_by_users_id_fk" FOREIGN KEY ("paused_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "project_members" ADD CONSTRAINT "project_members_calibration_by_users_id_fk" FOREIGN KEY ("calibration_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;