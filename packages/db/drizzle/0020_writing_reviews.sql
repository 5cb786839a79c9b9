CREATE TABLE "writing_reviews" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"judgment_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"reviewer_id" uuid,
	"scores" jsonb NOT NULL,
	"decision" text NOT NULL,
	"feedback" text DEFAULT '' NOT NULL,
	"rubric_version" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "writing_versions" (
	"judgment_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"project_id" uuid NOT NULL,
	"text" text NOT NULL,
	"base_response_id" text,
	"diff" jsonb,
	"words" integer NOT NULL,
	"time_spent_ms" integer,
	"submitted_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "writing_versions_judgment_id_version_pk" PRIMARY KEY("judgment_id","version")
);
--> statement-breakpoint
ALTER TABLE "writing_reviews" ADD CONSTRAINT "writing_reviews_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "writing_reviews" ADD CONSTRAINT "writing_reviews_judgment_id_judgments_id_fk" FOREIGN KEY ("judgment_id") REFERENCES "public"."judgments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "writing_reviews" ADD CONSTRAINT "writing_reviews_reviewer_id_users_id_fk" FOREIGN KEY ("reviewer_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "writing_versions" ADD CONSTRAINT "writing_versions_judgment_id_judgments_id_fk" FOREIGN KEY ("judgment_id") REFERENCES "public"."judgments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "writing_versions" ADD CONSTRAINT "writing_versions_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "writing_reviews_judgment_idx" ON "writing_reviews" USING btree ("judgment_id","version","created_at");--> statement-breakpoint
CREATE INDEX "writing_reviews_project_idx" ON "writing_reviews" USING btree ("project_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "writing_reviews_once_idx" ON "writing_reviews" USING btree ("judgment_id","version","reviewer_id");--> statement-breakpoint
CREATE INDEX "writing_versions_project_idx" ON "writing_versions" USING btree ("project_id","submitted_at");