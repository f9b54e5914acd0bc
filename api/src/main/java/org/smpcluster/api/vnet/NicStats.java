package org.smpcluster.api.vnet;

/**
 * A NIC's counters since it was attached, in the style of {@code ip -s link}.
 *
 * @param rxPackets frames received and delivered
 * @param rxBytes their bytes, FCS included
 * @param rxErrors frames for this NIC dropped as defective (the sum of the next three)
 * @param rxCrcErrors of which with a bad FCS
 * @param rxRunts of which shorter than 64 bytes
 * @param rxOversize of which longer than 1518 bytes
 * @param rxDropped frames lost before they were looked at
 * @param rxOverruns of which overwritten in the ring before this NIC read them
 * @param txPackets frames put on the wire
 * @param txBytes their bytes, FCS included
 * @param txErrors frames not sent (excessive collisions, carrier lost)
 * @param txCarrierErrors transmissions whose carrier was cut (jabber) before they ended
 * @param collisions collisions this NIC took part in
 * @param excessiveCollisions frames given up after 16 collisions
 * @param deferrals frames that had to wait for the carrier
 * @param jabberCuts carriers this NIC cut because their holder held them too long
 * @param interrupts portal interrupts that woke this NIC's receive thread
 * @param polls receive polls (NAPI)
 */
public record NicStats(long rxPackets, long rxBytes, long rxErrors, long rxCrcErrors, long rxRunts, long rxOversize,
        long rxDropped, long rxOverruns, long txPackets, long txBytes, long txErrors, long txCarrierErrors,
        long collisions, long excessiveCollisions, long deferrals, long jabberCuts, long interrupts, long polls) {
}
