package io.github.portreservation.bench;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservations;
import io.github.portreservation.Protocol;
import io.github.portreservation.RuntimeReservation;
import io.github.portreservation.pool.PortLease;
import io.github.portreservation.pool.ReservationPool;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.List;

/**
 * Retained heap per port, measured as used heap after a full GC before and after (the objects kept reachable):
 * <ul>
 *   <li>a ReservationPool holding 65,472 ports (heap-only provider: the pool's own bookkeeping per held port);</li>
 *   <li>the same pool with every port leased (per leased port);</li>
 *   <li>Linux runtime reservations of 4,096 TCP and UDP ports from 20000 (placeholder sockets: the JDK channel objects per
 *       held port; the kernel memory of the sockets is not on the heap and not counted).</li>
 * </ul>
 * Usage: {@code HeapFootprint}; run it in a fresh JVM.
 */
public final class HeapFootprint {
    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();
    private static final int LINUX_PORTS = 4096;

    private HeapFootprint() {
    }

    /** Prints the retained heap per port of each case. */
    public static void main(String[] args) throws Exception {
        // Load and initialize everything once, so class metadata and statics are not counted.
        warmUp();
        long before = usedAfterGc();
        ReservationPool pool = LeaseOccupancyBenchmark.newPool();
        long held = usedAfterGc();
        List<PortLease> leases = new ArrayList<>(LeaseOccupancyBenchmark.PORTS);
        long listOnly = usedAfterGc();
        for (int i = 0; i < LeaseOccupancyBenchmark.PORTS; i++) {
            leases.add(pool.lease());
        }
        long leased = usedAfterGc();
        print("pool bookkeeping per held port (65,472 ports, 1,023 blocks of 64)", held - before,
                LeaseOccupancyBenchmark.PORTS);
        print("pool per leased port (PortLease and its slot, list excluded)", leased - listOnly,
                LeaseOccupancyBenchmark.PORTS);
        for (PortLease lease : leases) {
            lease.close();
        }
        leases = null;
        pool.close();
        pool = null;
        for (Protocol protocol : Protocol.values()) {
            long start = usedAfterGc();
            RuntimeReservation r = PortReservations.provider().acquire(protocol,
                    PortRange.of(ReservationAcquireBenchmark.FIXED_START, LINUX_PORTS));
            long after = usedAfterGc();
            print("Linux runtime reservation per held " + protocol + " port (" + LINUX_PORTS + " placeholders)",
                    after - start, LINUX_PORTS);
            r.close();
        }
    }

    private static void warmUp() {
        ReservationPool pool = LeaseOccupancyBenchmark.newPool();
        pool.lease().close();
        pool.close();
        for (Protocol protocol : Protocol.values()) {
            PortReservations.provider().acquire(protocol, 16).close();
        }
    }

    private static long usedAfterGc() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(50);
            used = Math.min(used, MEMORY.getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    private static void print(String what, long bytes, int ports) {
        System.out.printf("heap %-75s %,12d bytes = %7.1f bytes/port%n", what, bytes, (double) bytes / ports);
    }
}
