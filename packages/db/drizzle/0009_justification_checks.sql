CREATE TABLE "justification_bands" (
	"project_id" uuid NOT NULL,
	"band_key" integer NOT NULL,
	"judgment_id" uuid NOT NULL,
	CONSTRAINT "justification_bands_project_id_band_key_judgment_id_pk" PRIMARY KEY("project_id","band_key","judgment_id")
);
--> statement-breakpoint
CREATE TABLE "justification_checks" (
	"judgment_id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"kinds" text[] DEFAULT '{}' NOT NULL,
	"findings" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"signature" integer[],
	"typed_chars" integer,
	"pasted_chars" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "justification_bands" ADD CONSTRAINT "justification_bands_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "justification_checks" ADD CONSTRAINT "justification_checks_judgment_id_judgments_id_fk" FOREIGN KEY ("judgment_id") REFERENCES "public"."judgments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "justification_checks" ADD CONSTRAINT "justification_checks_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "justification_checks" ADD CONSTRAINT "justification_checks_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "justification_checks_project_user_idx" ON "justification_checks" USING btree ("project_id","user_id");