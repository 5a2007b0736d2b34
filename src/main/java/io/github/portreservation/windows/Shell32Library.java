package io.github.portreservation.windows;

import com.sun.jna.Library;

/**
 * The one {@code shell32.dll} function the port doctor uses to tell whether it may create persistent reservations.
 * Loaded by {@link WindowsNatives} from a library name it is given (the tests load a native test double).
 */
public interface Shell32Library extends Library {

    /**
     * {@code BOOL IsUserAnAdmin(void)}: non-zero when the process token is a member of the Administrators group.
     * Microsoft documents it as a wrapper of {@code CheckTokenMembership} that may be altered or unavailable in later
     * versions; this library only uses it to word its advice, never to decide whether to try a call.
     */
    int IsUserAnAdmin();
}
