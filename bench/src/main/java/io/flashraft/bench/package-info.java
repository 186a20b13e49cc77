/**
 * Benchmarks and the record-store demo: numbers go to {@code docs/benchmarks.md}, never into
 * tests as timed assertions.
 */
package io.flashraft.bench;
