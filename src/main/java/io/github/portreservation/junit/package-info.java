/**
 * JUnit Jupiter integration: {@link io.github.portreservation.junit.ReservedPort} gives a test a held reservation or
 * a pool lease, released after the test (or the test class). Needs {@code org.junit.jupiter:junit-jupiter-api} (an
 * optional dependency of this library; tests bring it). See docs/integrations.md.
 */
package io.github.portreservation.junit;
