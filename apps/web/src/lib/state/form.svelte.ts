/**
 * One form's submit state: `busy` while the request runs, `errors` from client-side validation
 * (the core schema the server also uses) or from the server. The form's own fields stay in the
 * component; `submit` owns the validate → busy → run → errors sequence so every form does it alike.
 */
import { NO_ERRORS, formErrorsFrom, validate, type FormErrors } from '../ui/forms.ts';

type Schema<T> = Parameters<typeof validate<T>>[0];

/** How a submit ended: the input did not validate, the request threw, or it went through. */
export type SubmitOutcome = 'invalid' | 'failed' | 'done';

export class FormState {
  busy = $state(false);
  errors: FormErrors = $state(NO_ERRORS);
  readonly #fields: readonly string[];
  readonly #errorsFrom: (e: unknown, fields: readonly string[]) => FormErrors;

  /**
   * `fields` lists the inputs the form shows (other errors become the form's message);
   * `errorsFrom` turns a thrown value into errors, `formErrorsFrom` unless the form needs otherwise.
   */
  constructor(fields: readonly string[], errorsFrom: (e: unknown, fields: readonly string[]) => FormErrors = formErrorsFrom) {
    this.#fields = fields;
    this.#errorsFrom = errorsFrom;
  }

  /** Clears the errors, e.g. when a dialog opens again. */
  reset(): void {
    this.errors = NO_ERRORS;
  }

  /**
   * Validates `input` with `schema`; if it passes, runs `run` with the parsed data while `busy`,
   * and a throw from `run` becomes the form's errors.
   */
  async submit<T>(schema: Schema<T>, input: unknown, run: (data: T) => Promise<unknown>): Promise<SubmitOutcome> {
    const checked = validate(schema, input, this.#fields);
    if (!checked.ok) {
      this.errors = checked.errors;
      return 'invalid';
    }
    this.busy = true;
    this.errors = NO_ERRORS;
    try {
      await run(checked.data);
      return 'done';
    } catch (err) {
      this.errors = this.#errorsFrom(err, this.#fields);
      return 'failed';
    } finally {
      this.busy = false;
    }
  }
}
