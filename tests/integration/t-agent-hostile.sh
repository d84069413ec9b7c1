# t-agent-hostile.sh: a guest whose agent channel is silent, full of
# garbage, or one line without end never stalls fwsd.  Throughout, info
# (which asks the agent) and list answer at once, another VM starts and
# stops, fwsd's memory stays small and it does not spin; the addresses
# shown are the lease's.  Once the guest runs a sound agent again, its
# addresses show: the channel recovers.  Prints the slowest info.
. "$(dirname "$0")/lib.sh"
use_netns
start_fwsd

fwsctl net-create lan --bridge fwsbr0 --address 10.96.0.1/24 \
    --dhcp 10.96.0.100-10.96.0.199 >/dev/null || fail "net-create lan"
create_guest h --net lan --append "$GUEST_APPEND fws.dhcp"
create_guest other
fwsctl start h >/dev/null || fail "start h"
wait_console h FWS-GUEST-DHCP
IP=$(sed -n 's/^FWS-GUEST-DHCP \([0-9.]*\).*/\1/p' "$(console_log h)" | tail -n 1)

# from_lease: h's info shows the lease alone
from_lease() {
	fwsctl info h --json | python3 -c '
import json, sys
nic = json.load(sys.stdin)["nics"][0]
assert nic["addresses_from"] == "dhcp" and nic["addresses"] == [sys.argv[1]], nic' "$IP"
}

# cpu_ticks: fwsd's user and system time so far, in clock ticks
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$FWSD_PID/stat"
}
rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$FWSD_PID/status"
}

SLOWEST=0
# keep_serving SECONDS WHAT: for SECONDS, info, list and version answer
# within a second each (info every 0.2 s asks the agent when due); the
# addresses stay the lease's; fwsd uses under a third of a CPU
keep_serving() {
	t0=$(cpu_ticks)
	end=$(( $(date +%s) + $1 * TIME_SCALE ))
	while [ "$(date +%s)" -lt "$end" ]; do
		for verb in "info h --json" "list" "version"; do
			s=$(date +%s%N)
			fwsctl $verb >/dev/null 2>"$T/err" ||
			    fail "$2: $verb failed: $(cat "$T/err")"
			ms=$(( ($(date +%s%N) - s) / 1000000 ))
			[ "$ms" -lt $((1000 * TIME_SCALE)) ] ||
			    fail "$2: $verb took $ms ms"
			[ "$ms" -gt "$SLOWEST" ] && SLOWEST=$ms
		done
		sleep 0.2
	done
	from_lease || fail "$2: $(fwsctl info h --json)"
	used=$(( $(cpu_ticks) - t0 ))
	[ "$used" -lt $(( $1 * $(getconf CLK_TCK) / 3 )) ] ||
	    fail "$2: fwsd used $used ticks in $1 s"
	CPU="$used/$(( $1 * $(getconf CLK_TCK) )) ticks"
}

rss0=$(rss_kb)
# --- silent: the guest runs no agent
keep_serving 8 "a silent guest"
note "a silent guest: fwsd serves (CPU $CPU)"

# --- garbage lines, and answers to questions never asked
guest_type h 'while :; do echo "{\"id\": 1, \"return\": [garbage"; echo "{\"id\": 99999, \"return\": []}"; echo "not json"; done > $(fws-agent -p) & echo $! > /tmp/flood'
keep_serving 10 "a guest writing garbage"
grep -Eq "h: guest agent: (no answer in time|it wrote too much without answering|its channel floods)" "$T/fwsd.log" ||
    fail "fwsd never gave up on the garbage"
guest_type h 'kill $(cat /tmp/flood)'
note "a guest writing garbage: fwsd serves (CPU $CPU)"

# --- one line without end
guest_type h 'cat /dev/zero > $(fws-agent -p) & echo $! > /tmp/flood'
keep_serving 10 "a guest writing one line without end"
# meanwhile another VM starts and stops as ever
fwsctl start other >/dev/null || fail "start other during the flood"
fwsctl destroy other >/dev/null || fail "destroy other during the flood"
keep_serving 5 "a guest writing one line without end"
# the flood was read, up to the cap, and given up on
grep -Eq "h: guest agent: (it wrote too much without answering|its channel floods)" "$T/fwsd.log" ||
    fail "fwsd never read the flood to its cap"
rss1=$(rss_kb)
# (a sanitized fwsd keeps what it freed a while: its size says nothing)
ldd "$FWSD" | grep -q libasan || [ "$rss1" -lt $((rss0 + 16384)) ] ||
    fail "fwsd grew from $rss0 to $rss1 KiB during the flood"
guest_type h 'kill $(cat /tmp/flood)'
note "a guest writing one line without end: fwsd serves (CPU $CPU, RSS $rss0 -> $rss1 KiB)"

# --- a sound agent again: the channel recovers
guest_type h 'sleep 1; fws-agent &'
wait_until 60 sh -c "'$FWSCTL_BIN' --socket '$SOCK' info h --json | grep -q '\"addresses_from\": \"agent\"'" ||
    fail "the agent's addresses never showed after the flood: $(fwsctl info h --json)"
note "a sound agent afterwards is heard; slowest answer $SLOWEST ms"
