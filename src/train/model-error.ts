// A model that cannot be built for this workload: a bad model.json, a layer list that does not
// fit the dataset, a layer whose randomness cannot be seeded.

export class ModelError extends Error {
  override readonly name = 'ModelError';
  constructor(
    readonly reason: string,
    /** The model.json involved, when there is one. */
    readonly file?: string,
  ) {
    super(file === undefined ? reason : `${file}: ${reason}`);
  }
}
