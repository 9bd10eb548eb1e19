// A last-in, first-out list of undo steps: whatever a test sets up is torn down in reverse order,
// and one failing step does not stop the others (a leaked mount must not hide a leaked process).

export type CleanupStep = () => void | Promise<void>;

export class Cleanup {
  private readonly steps: { label: string; step: CleanupStep }[] = [];

  add(label: string, step: CleanupStep): void {
    this.steps.push({ label, step });
  }

  async run(): Promise<void> {
    const errors: Error[] = [];
    while (this.steps.length > 0) {
      const { label, step } = this.steps.pop()!;
      try {
        await step();
      } catch (e) {
        errors.push(new Error(`cleanup "${label}": ${(e as Error).message}`, { cause: e }));
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, errors.map((e) => e.message).join('; '));
  }
}
