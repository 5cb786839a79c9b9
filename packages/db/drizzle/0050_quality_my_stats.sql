-- A trainer's own consensus and gold figures (me/stats) as they stood when their last whole block of
-- judgments completed, served until the next block completes. Recomputed on every read, they moved as
-- other trainers judged the trainer's items, which told the trainer the others' majority on them.
CREATE TABLE "quality_my_stats" (
	"project_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"counted" integer NOT NULL,
	"figures" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "quality_my_stats_project_id_user_id_pk" PRIMARY KEY("project_id","user_id")
);
--> statement-breakpoint
ALTER TABLE "quality_my_stats" ADD CONSTRAINT "quality_my_stats_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_my_stats" ADD CONSTRAINT "quality_my_stats_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;