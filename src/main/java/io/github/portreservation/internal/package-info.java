/**
 * Internal-use-only classes shared by the layers of this library (bind request checks, error mapping, the port FIFO,
 * logging). They are not API: they may change in any release without notice. Do not use them outside this library.
 */
package io.github.portreservation.internal;
