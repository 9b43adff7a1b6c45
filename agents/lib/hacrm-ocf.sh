# Shared shell helpers of hacrm's own OCF agents (sourced, not run).
# POSIX sh. Every agent keeps its state under hacrm_state_dir, which is
# HA_RSCTMP as the executor sets it (or a folder a test made).

OCF_SUCCESS=0
OCF_ERR_GENERIC=1
OCF_ERR_ARGS=2
OCF_ERR_UNIMPLEMENTED=3
OCF_ERR_PERM=4
OCF_ERR_INSTALLED=5
OCF_ERR_CONFIGURED=6
OCF_NOT_RUNNING=7
OCF_RUNNING_PROMOTED=8
OCF_FAILED_PROMOTED=9

: "${HA_RSCTMP:=/run/resource-agents}"
: "${OCF_RESOURCE_INSTANCE:=default}"

# hacrm_log LEVEL MESSAGE...: one line on stderr (the executor keeps it with the result).
hacrm_log() {
    level=$1
    shift
    echo "${HACRM_AGENT_NAME:-agent}(${OCF_RESOURCE_INSTANCE})[$$]: $level: $*" >&2
}

# hacrm_exit_reason MESSAGE...: the reason Pacemaker-style tools show for a failure.
hacrm_exit_reason() {
    echo "ocf-exit-reason:$*" >&2
}

# The folder an agent may write to.
hacrm_state_dir() {
    echo "${HA_RSCTMP}"
}

# The node this agent runs on.
hacrm_node() {
    if [ -n "${HACRM_NODE:-}" ]; then
        echo "$HACRM_NODE"
    elif [ -n "${OCF_RESKEY_CRM_meta_on_node:-}" ]; then
        echo "$OCF_RESKEY_CRM_meta_on_node"
    else
        uname -n
    fi
}

# True for a probe: a monitor with interval 0.
hacrm_is_probe() {
    [ "${__OCF_ACTION:-}" = "monitor" ] && [ "${OCF_RESKEY_CRM_meta_interval:-0}" = "0" ]
}

# hacrm_attribute NAME VALUE|"" [LIFETIME]: set (or, with an empty value, delete)
# a node attribute through the tool the executor names in HACRM_ATTRIBUTE_TOOL.
hacrm_attribute() {
    name=$1
    value=$2
    lifetime=${3:-reboot}
    if [ -z "${HACRM_ATTRIBUTE_TOOL:-}" ]; then
        # Run by Pacemaker itself (it sets on_node): use its attribute tool.
        if [ -n "${OCF_RESKEY_CRM_meta_on_node:-}" ] && command -v crm_attribute >/dev/null 2>&1; then
            if [ -z "$value" ]; then
                crm_attribute -N "$(hacrm_node)" -n "$name" -l "$lifetime" -D
            else
                crm_attribute -N "$(hacrm_node)" -n "$name" -l "$lifetime" -v "$value"
            fi
            return $?
        fi
        hacrm_log warning "HACRM_ATTRIBUTE_TOOL is not set: node attribute $name not changed"
        return 0
    fi
    if [ -z "$value" ]; then
        "$HACRM_ATTRIBUTE_TOOL" --node "$(hacrm_node)" --name "$name" --delete --lifetime "$lifetime"
    else
        "$HACRM_ATTRIBUTE_TOOL" --node "$(hacrm_node)" --name "$name" --update "$value" --lifetime "$lifetime"
    fi
}

# hacrm_sleep SECONDS: a delay parameter (fractions allowed; empty or 0 = none).
hacrm_sleep() {
    case "${1:-0}" in
        ""|0|0.0) return 0 ;;
    esac
    sleep "$1"
}

# hacrm_is_uint VALUE: true for a non-negative integer.
hacrm_is_uint() {
    case "$1" in
        ""|*[!0-9]*) return 1 ;;
    esac
    return 0
}
