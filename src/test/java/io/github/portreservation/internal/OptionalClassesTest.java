package io.github.portreservation.internal;

import org.junit.jupiter.api.Test;

import java.net.URL;
import java.net.URLClassLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A class is present when its loader finds it; looking it up neither initializes it nor throws. */
class OptionalClassesTest {
    private static int initializations;

    static final class CountsItsInitialization {
        static {
            initializations++;
        }

        private CountsItsInitialization() {
        }
    }

    @Test
    void aVisibleClassIsPresentAndNotInitialized() {
        assertTrue(OptionalClasses.present(CountsItsInitialization.class.getName(), OptionalClassesTest.class));
        assertEquals(0, initializations);
    }

    @Test
    void aClassTheLoaderCannotSeeIsAbsent() throws Exception {
        assertFalse(OptionalClasses.present("no.such.Dependency", OptionalClassesTest.class));
        try (URLClassLoader bootOnly = new URLClassLoader(new URL[0], null)) {
            assertFalse(OptionalClasses.present(OptionalClasses.class.getName(), bootOnly));
            assertTrue(OptionalClasses.present("java.lang.String", bootOnly));
        }
    }
}
