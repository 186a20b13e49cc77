package io.flashraft.protocol;

/** How a put treats a record that does or does not exist. */
public enum RecordExistsAction {
    /** Create the record, or merge the given bins into the existing ones. */
    UPSERT,
    /** Create the record; RECORD_EXISTS if it exists. */
    CREATE_ONLY,
    /** Merge the given bins into the existing record; NOT_FOUND if it does not exist. */
    UPDATE_ONLY,
    /** Create the record, or replace all of its bins with the given ones. */
    REPLACE
}
