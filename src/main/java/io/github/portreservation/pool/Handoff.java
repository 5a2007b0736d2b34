package io.github.portreservation.pool;

import java.util.ArrayList;
import java.util.List;

/** Decided requests collected under the pool's lock and completed after it: lists made only when needed. */
final class Handoff {
    private Handoff() {
    }

    /** {@code w} added to {@code list}, which is created when null. */
    static List<Waiter> add(List<Waiter> list, Waiter w) {
        List<Waiter> out = list != null ? list : new ArrayList<>(4);
        out.add(w);
        return out;
    }

    /** Completes each decided request; call without the pool's lock. */
    static void deliver(List<Waiter> decided) {
        if (decided != null) {
            for (Waiter w : decided) {
                w.deliver();
            }
        }
    }
}
