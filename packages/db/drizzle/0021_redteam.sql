CREATE TABLE "model_endpoints" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"base_url" text NOT NULL,
	"model" text NOT NULL,
	"api_key" text DEFAULT '' NOT NULL,
	"timeout_ms" integer DEFAULT 30000 NOT NULL,
	"max_tokens" integer DEFAULT 1024 NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "model_endpoints_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "redteam_calls" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"assignment_id" uuid NOT NULL,
	"endpoint_id" uuid,
	"endpoint_name" text NOT NULL,
	"model" text NOT NULL,
	"turns" jsonb NOT NULL,
	"response" text,
	"outcome" text NOT NULL,
	"ms" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "redteam_reviews" (
	"judgment_id" uuid NOT NULL,
	"reviewer_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"confirmed" boolean NOT NULL,
	"note" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "redteam_reviews_judgment_id_reviewer_id_pk" PRIMARY KEY("judgment_id","reviewer_id")
);
--> statement-breakpoint
ALTER TABLE "model_endpoints" ADD CONSTRAINT "model_endpoints_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "redteam_calls" ADD CONSTRAINT "redteam_calls_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "redteam_calls" ADD CONSTRAINT "redteam_calls_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "redteam_calls" ADD CONSTRAINT "redteam_calls_endpoint_id_model_endpoints_id_fk" FOREIGN KEY ("endpoint_id") REFERENCES "public"."model_endpoints"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "redteam_reviews" ADD CONSTRAINT "redteam_reviews_judgment_id_judgments_id_fk" FOREIGN KEY ("judgment_id") REFERENCES "public"."judgments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "redteam_reviews" ADD CONSTRAINT "redteam_reviews_reviewer_id_users_id_fk" FOREIGN KEY ("reviewer_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "redteam_reviews" ADD CONSTRAINT "redteam_reviews_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "redteam_calls_user_idx" ON "redteam_calls" USING btree ("project_id","user_id","created_at");--> statement-breakpoint
CREATE INDEX "redteam_reviews_project_idx" ON "redteam_reviews" USING btree ("project_id");