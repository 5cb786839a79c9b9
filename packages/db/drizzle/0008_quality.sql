CREATE TABLE "quality_coincidences" (
	"project_id" uuid NOT NULL,
	"scope" text NOT NULL,
	"block" smallint NOT NULL,
	"v1" double precision NOT NULL,
	"v2" double precision NOT NULL,
	"o" double precision NOT NULL,
	CONSTRAINT "quality_coincidences_project_id_scope_block_v1_v2_pk" PRIMARY KEY("project_id","scope","block","v1","v2")
);
--> statement-breakpoint
CREATE TABLE "quality_counts" (
	"item_id" uuid NOT NULL,
	"scope" text NOT NULL,
	"unit" text NOT NULL,
	"value" double precision NOT NULL,
	"n" integer NOT NULL,
	CONSTRAINT "quality_counts_item_id_scope_unit_value_pk" PRIMARY KEY("item_id","scope","unit","value")
);
--> statement-breakpoint
CREATE TABLE "quality_flags" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"dimension" text DEFAULT '' NOT NULL,
	"value" double precision NOT NULL,
	"threshold" double precision NOT NULL,
	"window" integer NOT NULL,
	"items" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"cleared_at" timestamp with time zone,
	"cleared_by" uuid,
	"clear_reason" text
);
--> statement-breakpoint
CREATE TABLE "quality_items" (
	"item_id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"block" smallint NOT NULL,
	"judgments" integer DEFAULT 0 NOT NULL,
	"agreement" double precision,
	"spread" double precision,
	"consensus" smallint,
	"kendall_w" double precision,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "quality_judgments" (
	"judgment_id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"item_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"submitted_at" timestamp with time zone NOT NULL,
	"three_way" smallint,
	"graded" smallint,
	"first_pick" boolean,
	"longer_pick" boolean,
	"words" integer DEFAULT 0 NOT NULL,
	"seconds" double precision,
	"gold_match" boolean,
	"consensus" smallint
);
--> statement-breakpoint
CREATE TABLE "quality_model_pairs" (
	"project_id" uuid NOT NULL,
	"source" text NOT NULL,
	"block" smallint NOT NULL,
	"model_a" text NOT NULL,
	"model_b" text NOT NULL,
	"wins_a" integer DEFAULT 0 NOT NULL,
	"ties" integer DEFAULT 0 NOT NULL,
	"wins_b" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "quality_model_pairs_project_id_source_block_model_a_model_b_pk" PRIMARY KEY("project_id","source","block","model_a","model_b")
);
--> statement-breakpoint
CREATE TABLE "quality_units" (
	"project_id" uuid NOT NULL,
	"scope" text NOT NULL,
	"block" smallint NOT NULL,
	"m" integer NOT NULL,
	"units" integer NOT NULL,
	"pa_sum" double precision NOT NULL,
	"values" jsonb DEFAULT '{}'::jsonb NOT NULL,
	CONSTRAINT "quality_units_project_id_scope_block_m_pk" PRIMARY KEY("project_id","scope","block","m")
);
--> statement-breakpoint
ALTER TABLE "quality_coincidences" ADD CONSTRAINT "quality_coincidences_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_counts" ADD CONSTRAINT "quality_counts_item_id_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."items"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_flags" ADD CONSTRAINT "quality_flags_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_flags" ADD CONSTRAINT "quality_flags_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_flags" ADD CONSTRAINT "quality_flags_cleared_by_users_id_fk" FOREIGN KEY ("cleared_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_items" ADD CONSTRAINT "quality_items_item_id_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."items"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_items" ADD CONSTRAINT "quality_items_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_judgments" ADD CONSTRAINT "quality_judgments_judgment_id_judgments_id_fk" FOREIGN KEY ("judgment_id") REFERENCES "public"."judgments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_judgments" ADD CONSTRAINT "quality_judgments_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_judgments" ADD CONSTRAINT "quality_judgments_item_id_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."items"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_judgments" ADD CONSTRAINT "quality_judgments_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_model_pairs" ADD CONSTRAINT "quality_model_pairs_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_units" ADD CONSTRAINT "quality_units_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "quality_flags_project_idx" ON "quality_flags" USING btree ("project_id","status");--> statement-breakpoint
CREATE UNIQUE INDEX "quality_flags_open_uq" ON "quality_flags" USING btree ("project_id","user_id","kind","dimension") WHERE "quality_flags"."status" = 'open';--> statement-breakpoint
CREATE INDEX "quality_items_judgments_idx" ON "quality_items" USING btree ("project_id","judgments");--> statement-breakpoint
CREATE INDEX "quality_items_agreement_idx" ON "quality_items" USING btree ("project_id","agreement");--> statement-breakpoint
CREATE INDEX "quality_items_spread_idx" ON "quality_items" USING btree ("project_id","spread");--> statement-breakpoint
CREATE INDEX "quality_judgments_user_idx" ON "quality_judgments" USING btree ("project_id","user_id","submitted_at");--> statement-breakpoint
CREATE INDEX "quality_judgments_item_idx" ON "quality_judgments" USING btree ("item_id");