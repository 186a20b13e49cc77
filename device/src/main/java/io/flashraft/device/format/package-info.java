/**
 * The on-device layout of a record version, shared by every engine: header with a version
 * byte and a CRC32C over everything but itself, set name, bins.
 */
package io.flashraft.device.format;
