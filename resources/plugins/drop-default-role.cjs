/**
 * serverless-iam-roles-per-function gives every function its own role but leaves the framework's default
 * role (IamRoleLambdaExecution) in the template, deployed and unused. This plugin runs after it (it is
 * listed later in serverless.yml) and removes that role when nothing in the template refers to it any more.
 */
'use strict';

const DEFAULT_ROLE = 'IamRoleLambdaExecution';

/** Whether any value in the tree is `{ Ref: id }`, `{ 'Fn::GetAtt': [id, …] }` or `DependsOn: id`. */
function refersTo(value, id) {
  if (Array.isArray(value)) return value.some((item) => refersTo(item, id));
  if (value === null || typeof value !== 'object') return false;
  if (value.Ref === id) return true;
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt[0] === id) return true;
  if (typeof getAtt === 'string' && getAtt.split('.')[0] === id) return true;
  if (value.DependsOn === id || (Array.isArray(value.DependsOn) && value.DependsOn.includes(id))) return true;
  return Object.values(value).some((item) => refersTo(item, id));
}

class DropDefaultRole {
  constructor(serverless) {
    this.hooks = {
      'before:package:finalize': () => {
        const template = serverless.service.provider.compiledCloudFormationTemplate;
        const { [DEFAULT_ROLE]: role, ...others } = template.Resources;
        if (!role) return;
        const users = Object.entries(others).filter(([, resource]) => refersTo(resource, DEFAULT_ROLE));
        if (users.length > 0) {
          throw new serverless.classes.Error(
            `${DEFAULT_ROLE} is still used by ${users.map(([id]) => id).join(', ')}: give each function iamRoleStatements.`,
          );
        }
        delete template.Resources[DEFAULT_ROLE];
      },
    };
  }
}

module.exports = DropDefaultRole;
