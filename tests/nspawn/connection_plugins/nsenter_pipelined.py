# The fleet test's connection: community.docker.nsenter with pipelining. That plugin sends every module
# as a file (mkdir, tee, run, rm: four nsenter calls per task) although its exec_command already feeds
# in_data to the process's stdin, which is all pipelining needs; here each task is one nsenter call.
# Only the tests use it (ANSIBLE_CONNECTION_PLUGINS points here); the role works with either.
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = '''
name: nsenter_pipelined
short_description: community.docker.nsenter with pipelining
description:
    - Runs tasks inside the namespaces of a process (a container's init) like community.docker.nsenter,
      sending modules through standard input (pipelining) instead of as files.
author: edge-proxy tests
options:
    nsenter_pid:
        description: PID whose namespaces the tasks enter (the container's init as seen from the controller).
        type: int
        default: 1
        vars:
            - name: ansible_nsenter_pid
'''

from ansible_collections.community.docker.plugins.connection.nsenter import Connection as NsenterConnection


class Connection(NsenterConnection):
    transport = 'nsenter_pipelined'
    has_pipelining = True
