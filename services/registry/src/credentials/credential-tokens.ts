/** The store of issued credentials and quarantined drafters (a Redis hash; a fake in unit tests). */
export const CREDENTIAL_REPOSITORY = Symbol("CREDENTIAL_REPOSITORY");
