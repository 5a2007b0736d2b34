package io.github.portreservation.linux;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** ProcFiles.fields splits /proc text at blanks and the given separators, as the regular expressions it replaces. */
class ProcFieldsTest {
    @Test
    void portRangeSysctl() {
        assertEquals(List.of("32768", "60999"), ProcFiles.fields("32768\t60999\n", ""));
    }

    @Test
    void reservedPortsListWithCommasAndBlanks() {
        assertEquals(List.of("1", "3-4", "7"), ProcFiles.fields(" 1,3-4,,\r\n 7\u000B\f", ","));
    }

    @Test
    void blankTextHasNoField() {
        assertEquals(List.of(), ProcFiles.fields("", ","));
        assertEquals(List.of(), ProcFiles.fields(" ,\n,\t", ","));
    }

    @Test
    void aCommaIsPartOfAFieldUnlessNamed() {
        assertEquals(List.of("1,2", "3"), ProcFiles.fields("1,2 3", ""));
    }
}
