CREATE TABLE "calibration_judgments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"round_id" uuid NOT NULL,
	"session_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"payload" jsonb NOT NULL,
	"response_order" jsonb NOT NULL,
	"time_spent_ms" integer,
	"blind" boolean NOT NULL,
	"submitted_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "calibration_participants" (
	"session_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"joined_at" timestamp with time zone,
	"flag_outcome" text,
	CONSTRAINT "calibration_participants_session_id_user_id_pk" PRIMARY KEY("session_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "calibration_rounds" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"session_id" uuid NOT NULL,
	"item_id" uuid NOT NULL,
	"number" integer NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"revealed_at" timestamp with time zone,
	"missing_at_reveal" jsonb
);
--> statement-breakpoint
CREATE TABLE "calibration_sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"title" text NOT NULL,
	"created_by" uuid,
	"rubric_version" integer,
	"item_ids" jsonb NOT NULL,
	"phase" text DEFAULT 'lobby' NOT NULL,
	"item_index" integer DEFAULT 0 NOT NULL,
	"round_id" uuid,
	"show_names" boolean DEFAULT true NOT NULL,
	"version" integer DEFAULT 0 NOT NULL,
	"judgments_use" text,
	"published_version" integer,
	"proposal" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "calibration_judgments" ADD CONSTRAINT "calibration_judgments_round_id_calibration_rounds_id_fk" FOREIGN KEY ("round_id") REFERENCES "public"."calibration_rounds"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calibration_judgments" ADD CONSTRAINT "calibration_judgments_session_id_calibration_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."calibration_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calibration_judgments" ADD CONSTRAINT "calibration_judgments_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calibration_participants" ADD CONSTRAINT "calibration_participants_session_id_calibration_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."calibration_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calibration_participants" ADD CONSTRAINT "calibration_participants_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calibration_rounds" ADD CONSTRAINT "calibration_rounds_session_id_calibration_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."calibration_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calibration_rounds" ADD CONSTRAINT "calibration_rounds_item_id_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."items"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calibration_sessions" ADD CONSTRAINT "calibration_sessions_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calibration_sessions" ADD CONSTRAINT "calibration_sessions_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "calibration_judgments_round_user_uq" ON "calibration_judgments" USING btree ("round_id","user_id");--> statement-breakpoint
CREATE INDEX "calibration_judgments_session_idx" ON "calibration_judgments" USING btree ("session_id");--> statement-breakpoint
CREATE INDEX "calibration_participants_user_idx" ON "calibration_participants" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "calibration_rounds_item_number_uq" ON "calibration_rounds" USING btree ("session_id","item_id","number");--> statement-breakpoint
CREATE INDEX "calibration_sessions_project_idx" ON "calibration_sessions" USING btree ("project_id","created_at");